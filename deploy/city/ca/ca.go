package ca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/roomgate/roomgate/internal/syncfile"
)

// File names of the CA inside its directory.
const (
	CertName    = "ca.pem"
	KeyName     = "ca.key"
	CRLName     = "crl.pem" // the broker's crlfile
	RevokedName = "revoked" // the serials Revoke recorded, one per line
)

// Lifetimes. A box's, a city client's or the broker's certificate lasts at
// most MaxLeafLifetime, so one that is lost or stolen and never revoked
// stops working within a year; the CA outlives them all.
const (
	caLifetime      = 20 * 365 * 24 * time.Hour
	MaxLeafLifetime = 365 * 24 * time.Hour
	// CRLLifetime is how long a CRL is valid by default. The broker refuses
	// every client once its CRL has expired, so it must be written again
	// (ca crl) before then, and after every revocation.
	CRLLifetime = 365 * 24 * time.Hour
	// backdate covers boxes whose clock runs a little behind the CA's.
	backdate = time.Hour
)

// ErrExists is returned when a file that would be written already exists.
var ErrExists = errors.New("ca: file exists")

// namePattern is what a client CN (device id, city client name) and a server
// certificate's name must match: it is an MQTT username in the ACL, a topic
// level and a file name, so it must be plain.
var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// CA is a loaded certificate authority.
type CA struct {
	dir      string
	cert     *x509.Certificate
	key      *ecdsa.PrivateKey
	lifetime time.Duration // of the certificates it issues
	mu       sync.Mutex    // serialises this process's writes of the issued record and the revoked list
}

// Init creates a new CA in dir (made if missing): ca.pem, ca.key and an
// empty crl.pem. It refuses to overwrite ca.pem or ca.key.
func Init(dir string) (*CA, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	certFile, keyFile := filepath.Join(dir, CertName), filepath.Join(dir, KeyName)
	for _, f := range []string{certFile, keyFile} {
		if _, err := os.Lstat(f); err == nil {
			return nil, fmt.Errorf("%w: %s (remove it first to replace it)", ErrExists, f)
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("ca: generate key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	skid, err := subjectKeyID(key.Public())
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "roomgate development CA", Organization: []string{"roomgate"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(caLifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SubjectKeyId:          skid,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("ca: create certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	if err := writePair(certFile, keyFile, der, key); err != nil {
		return nil, err
	}
	c := &CA{dir: dir, cert: cert, key: key, lifetime: MaxLeafLifetime}
	if _, err := c.WriteCRL(CRLLifetime); err != nil {
		return nil, err
	}
	return c, nil
}

// Load reads the CA in dir and checks that its key belongs to its
// certificate.
func Load(dir string) (*CA, error) {
	cert, err := readCert(filepath.Join(dir, CertName))
	if err != nil {
		return nil, err
	}
	key, err := readKey(filepath.Join(dir, KeyName))
	if err != nil {
		return nil, err
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("ca: %s is not a CA certificate", filepath.Join(dir, CertName))
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("ca: %s does not belong to %s", filepath.Join(dir, KeyName), filepath.Join(dir, CertName))
	}
	return &CA{dir: dir, cert: cert, key: key, lifetime: MaxLeafLifetime}, nil
}

// SetLifetime sets how long the certificates c issues from now on are valid:
// more than zero and at most MaxLeafLifetime.
func (c *CA) SetLifetime(d time.Duration) error {
	if d <= 0 || d > MaxLeafLifetime {
		return fmt.Errorf("ca: certificate lifetime %v: want more than 0 and at most %v (one year)", d, MaxLeafLifetime)
	}
	c.lifetime = d
	return nil
}

// CertFile is the path of the CA certificate: the cafile of the broker and of
// every client.
func (c *CA) CertFile() string { return filepath.Join(c.dir, CertName) }

// Certificate is the CA certificate.
func (c *CA) Certificate() *x509.Certificate { return c.cert }

// IssueServer writes dir/name.pem and dir/name.key: a server certificate
// valid for hosts, each a DNS name or an IP address.
func (c *CA) IssueServer(dir, name string, hosts []string) (certFile, keyFile string, err error) {
	if !namePattern.MatchString(name) {
		return "", "", fmt.Errorf("ca: server name %q: want lowercase letters, digits and '-' (%s)", name, namePattern)
	}
	if len(hosts) == 0 {
		return "", "", errors.New("ca: server certificate needs at least one host")
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: name, Organization: []string{"roomgate"}},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			continue
		}
		if !validDNSName(h) {
			return "", "", fmt.Errorf("ca: host %q is neither an IP address nor a DNS name", h)
		}
		tmpl.DNSNames = append(tmpl.DNSNames, h)
	}
	return c.issue(dir, name, tmpl)
}

// IssueClient writes dir/cn.pem and dir/cn.key: a client certificate whose
// CN is a device id or a city client name (city-ingest, city-ops). The
// broker takes the CN as the MQTT username that its ACL checks.
func (c *CA) IssueClient(dir, cn string) (certFile, keyFile string, err error) {
	if !namePattern.MatchString(cn) {
		return "", "", fmt.Errorf("ca: client name %q: want lowercase letters, digits and '-', at most 63 (%s)", cn, namePattern)
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: cn, Organization: []string{"roomgate"}},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	return c.issue(dir, cn, tmpl)
}

// issue signs tmpl with a fresh key and writes dir/name.pem and dir/name.key.
func (c *CA) issue(dir, name string, tmpl *x509.Certificate) (certFile, keyFile string, err error) {
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
	for _, f := range []string{certFile, keyFile} {
		if _, err := os.Lstat(f); err == nil {
			return "", "", fmt.Errorf("%w: %s (remove it first to replace it)", ErrExists, f)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("ca: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", fmt.Errorf("ca: generate key: %w", err)
	}
	cert, err := c.sign(tmpl, key.Public())
	if err != nil {
		return "", "", err
	}
	der := cert.Raw
	if err := writePair(certFile, keyFile, der, key); err != nil {
		return "", "", err
	}
	return certFile, keyFile, nil
}

// validDNSName accepts host names and wildcards made of letters, digits, '-'
// and '.', without empty labels.
func validDNSName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for i, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "*" && i == 0 {
			continue
		}
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

func newSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("ca: serial: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil // never zero
}

// writePair writes the key (0600) and then the certificate (0644), each only
// if it does not exist yet; if the certificate cannot be written the new key
// is removed again.
func writePair(certFile, keyFile string, der []byte, key *ecdsa.PrivateKey) error {
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("ca: %w", err)
	}
	if err := writeNew(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600); err != nil {
		return err
	}
	if err := writeNew(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		os.Remove(keyFile)
		return err
	}
	return nil
}

func writeNew(name string, data []byte, perm os.FileMode) error {
	err := syncfile.Write(name, data, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: %s (remove it first to replace it)", ErrExists, name)
	}
	if err != nil {
		return fmt.Errorf("ca: %w", err)
	}
	return nil
}

func readCert(name string) (*x509.Certificate, error) {
	b, err := readPEM(name, "CERTIFICATE")
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(b)
	if err != nil {
		return nil, fmt.Errorf("ca: %s: %w", name, err)
	}
	return cert, nil
}

func readKey(name string) (*ecdsa.PrivateKey, error) {
	b, err := readPEM(name, "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("ca: %s: %w", name, err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("ca: %s: not an ECDSA key", name)
	}
	return key, nil
}

func readPEM(name, typ string) ([]byte, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != typ {
		return nil, fmt.Errorf("ca: %s: no PEM %s block", name, typ)
	}
	return block.Bytes, nil
}
