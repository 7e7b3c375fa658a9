package provision

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/internal/syncfile"
	"github.com/roomgate/roomgate/provisioning/claim"
	"github.com/roomgate/roomgate/provisioning/est"
)

// The files provisioning writes itself; the city's bundle may not name them.
const (
	ConfigName = "roomgate.yaml"
	KeyName    = "device.key"
	CertName   = "device.pem"
	CAName     = "ca.pem"
	// markerName, in the staging directory, says which claim its key was
	// made for: the device and the token's hash, never the token.
	markerName = ".claim"
)

// Limits on the city's bundle: a real one has a config of a few kilobytes
// and a handful of key files.
const (
	maxBundleFiles = 32
	maxFileName    = 128
)

// dirs are the provisioning directory and, beside it in its parent (the
// same file system, so renames are atomic), the staging directory and the
// lock that keeps two provisionings apart.
type dirs struct{ final, staging, lock string }

func dirsOf(dir string) dirs {
	dir = filepath.Clean(dir)
	parent, base := filepath.Dir(dir), filepath.Base(dir)
	return dirs{final: dir, staging: filepath.Join(parent, "."+base+".staging"), lock: filepath.Join(parent, "."+base+".lock")}
}

func (d dirs) configPath() string { return filepath.Join(d.final, ConfigName) }

// lock takes the provisioning lock, or fails with ReasonBusy while another
// process (the agent, or `roomgate provision` run by hand) provisions.
func lock(d dirs) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(d.final), 0o700); err != nil {
		return nil, &Error{Step: StepKey, Reason: ReasonLocal, Detail: err.Error()}
	}
	f, err := os.OpenFile(d.lock, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, &Error{Step: StepKey, Reason: ReasonLocal, Detail: err.Error()}
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, &Error{Step: StepKey, Reason: ReasonBusy, Detail: d.lock + " is held"}
		}
		return nil, &Error{Step: StepKey, Reason: ReasonLocal, Detail: err.Error()}
	}
	return func() { f.Close() }, nil
}

// staged is the staging directory of one claim and the key made for it.
type staged struct {
	dir   string
	key   *ecdsa.PrivateKey
	owner *Owner
}

// stage prepares the staging directory for claim c. A key staged by an
// earlier attempt with the same claim is kept: the city may have enrolled
// it before the box lost power, and then accepts the same key again but
// no other. Anything else there is from another claim or a finished swap,
// and goes.
func stage(d dirs, c claim.Claim, owner *Owner) (*staged, bool, error) {
	marker := []byte(c.Device + " " + claim.HashToken(c.Token) + "\n")
	st := &staged{dir: d.staging, owner: owner}
	if was, err := os.ReadFile(filepath.Join(d.staging, markerName)); err == nil && bytes.Equal(was, marker) {
		if key, err := readKey(filepath.Join(d.staging, KeyName)); err == nil {
			st.key = key
			return st, true, st.clear()
		}
	}
	if err := os.RemoveAll(d.staging); err != nil {
		return nil, false, err
	}
	if err := os.Mkdir(d.staging, 0o700); err != nil {
		return nil, false, err
	}
	if err := st.chown(d.staging); err != nil {
		return nil, false, err
	}
	key, err := newKey()
	if err != nil {
		return nil, false, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, false, err
	}
	// The key is on disk before the marker, and both before the request
	// leaves the box.
	if err := st.write(KeyName, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		return nil, false, err
	}
	if err := st.write(markerName, marker); err != nil {
		return nil, false, err
	}
	st.key = key
	return st, false, syncfile.Dir(d.staging)
}

// clear removes what an interrupted attempt wrote besides its key.
func (st *staged) clear() error {
	entries, err := os.ReadDir(st.dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if n := e.Name(); n != KeyName && n != markerName {
			if err := os.RemoveAll(filepath.Join(st.dir, n)); err != nil {
				return err
			}
		}
	}
	return nil
}

func readKey(path string) (*ecdsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: not a PEM private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an ECDSA key", path)
	}
	return key, nil
}

// readCert reads a PEM file holding one certificate.
func readCert(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, rest := pem.Decode(data)
	if b == nil || b.Type != "CERTIFICATE" || len(bytes.TrimSpace(rest)) != 0 {
		return nil, fmt.Errorf("%s: want one PEM certificate", path)
	}
	return x509.ParseCertificate(b.Bytes)
}

// write puts a file into the staging directory, 0600 and synced.
func (st *staged) write(name string, data []byte) error {
	path := filepath.Join(st.dir, name)
	if err := syncfile.Write(path, data, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600); err != nil {
		return err
	}
	return st.chown(path)
}

func (st *staged) chown(path string) error {
	if st.owner == nil {
		return nil
	}
	return os.Chown(path, st.owner.UID, st.owner.GID)
}

// put stages the certificate, the CA and the city's bundle.
func (st *staged) put(cert, ca *x509.Certificate, b *est.Bundle) error {
	files := map[string][]byte{
		CertName:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}),
		CAName:     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}),
		ConfigName: []byte(b.Config),
	}
	for name, content := range b.Files {
		files[name] = []byte(content)
	}
	for name, data := range files {
		if err := st.write(name, data); err != nil {
			return err
		}
	}
	return syncfile.Dir(st.dir)
}

// commit swaps the staging directory in as the provisioning directory in
// one rename: a power cut leaves the old provisioning or the new, never a
// mix. The old one ends up in the staging directory's place, and goes.
func (st *staged) commit(d dirs) error {
	// A renewal stages no claim marker.
	if err := os.Remove(filepath.Join(d.staging, markerName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := syncfile.Dir(d.staging); err != nil {
		return err
	}
	_, err := os.Lstat(d.final)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		err = os.Rename(d.staging, d.final)
	case err == nil:
		err = unix.Renameat2(unix.AT_FDCWD, d.staging, unix.AT_FDCWD, d.final, unix.RENAME_EXCHANGE)
		if err != nil {
			err = fmt.Errorf("swap %s in: %w (the file system must support renameat2 RENAME_EXCHANGE)", d.final, err)
		}
	}
	if err != nil {
		return err
	}
	if err := syncfile.Dir(filepath.Dir(d.final)); err != nil {
		return err
	}
	return os.RemoveAll(d.staging)
}

// checkBundle accepts the city's bundle for claim c before anything of it
// is written: it is for this box, and its file names are plain and not
// the ones provisioning writes itself.
func checkBundle(b *est.Bundle, c claim.Claim) error {
	switch {
	case b.Device != c.Device || b.Kind != c.Kind || b.Site != c.Site:
		return fmt.Errorf("the bundle is for %s %s at %s, the claim for %s %s at %s", b.Kind, b.Device, b.Site, c.Kind, c.Device, c.Site)
	case strings.TrimSpace(b.Config) == "":
		return errors.New("the bundle has no config")
	case len(b.Config) > config.MaxSize:
		return fmt.Errorf("the config is larger than %d bytes", config.MaxSize)
	case len(b.Files) > maxBundleFiles:
		return fmt.Errorf("the bundle has %d files, more than %d", len(b.Files), maxBundleFiles)
	}
	for name, content := range b.Files {
		switch {
		case name == "" || len(name) > maxFileName || strings.ContainsAny(name, "/\\\x00") || strings.HasPrefix(name, "."):
			return fmt.Errorf("file name %.40q is not a plain file name", name)
		case name == ConfigName || name == KeyName || name == CertName || name == CAName:
			return fmt.Errorf("file name %q is provisioning's own", name)
		case len(content) > config.MaxSize:
			return fmt.Errorf("file %q is larger than %d bytes", name, config.MaxSize)
		}
	}
	return nil
}

// checkConfig loads the staged config as the agent will load it from the
// provisioning directory (relative paths are taken from the directory, and
// the staged one is the provisioning directory to be): it validates, names
// the claim's box, and links to the city with the certificate just made.
func checkConfig(c claim.Claim, dir string) error {
	cfg, err := config.Load(filepath.Join(dir, ConfigName))
	if err != nil {
		return err
	}
	if cfg.Identity.Device != c.Device || cfg.Identity.Site != c.Site {
		return fmt.Errorf("the config's identity is device %q at site %q, the claim's %q at %q", cfg.Identity.Device, cfg.Identity.Site, c.Device, c.Site)
	}
	for _, f := range []struct{ field, value, want string }{
		{"sync.ca_file", cfg.Sync.CAFile, CAName},
		{"sync.cert_file", cfg.Sync.CertFile, CertName},
		{"sync.key_file", cfg.Sync.KeyFile, KeyName},
	} {
		if cfg.Sync.Broker != "" && f.value != f.want {
			return fmt.Errorf("%s is %q: want %q, the file provisioning writes", f.field, f.value, f.want)
		}
	}
	return nil
}
