package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/roomgate/roomgate/internal/syncfile"
)

// KeySize is the size of a template key file: an AES-256 key.
const KeySize = 32

// DefaultKeyFile is where the template key is kept when the config names
// none: beside the database, but not in it.
func DefaultKeyFile(dbPath string) string {
	return filepath.Join(filepath.Dir(dbPath), "roomgate.key")
}

// ErrKey means the key file cannot be used: the wrong size, readable by
// others, or not the key this store's templates were sealed with.
var ErrKey = errors.New("store: template key refused")

// loadKey reads the key file, making it (32 random bytes, mode 0600) when it
// does not exist yet; made reports that it did.
func loadKey(path string) (key []byte, made bool, err error) {
	key = make([]byte, KeySize)
	rand.Read(key)
	err = syncfile.Write(path, key, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		return key, true, nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return nil, false, fmt.Errorf("store: make key file %q: %w", path, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, false, fmt.Errorf("store: key file %q: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, false, fmt.Errorf("store: key file %q: %w", path, err)
	}
	// Checked on the open file, so the file read is the file checked.
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o077 != 0 {
		return nil, false, fmt.Errorf("%w: key file %q has mode %v; it must be a file only its owner can read (chmod 600)", ErrKey, path, fi.Mode())
	}
	// A key planted by another user (in a shared directory) would be known to them.
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return nil, false, fmt.Errorf("%w: key file %q belongs to uid %d, not to this process's %d", ErrKey, path, st.Uid, os.Geteuid())
	}
	if fi.Size() != KeySize {
		return nil, false, fmt.Errorf("%w: key file %q holds %d bytes, want %d", ErrKey, path, fi.Size(), KeySize)
	}
	key = make([]byte, KeySize)
	if _, err := io.ReadFull(f, key); err != nil {
		return nil, false, fmt.Errorf("store: key file %q: %w", path, err)
	}
	return key, false, nil
}

// sealer encrypts face templates and staged gallery chunks with AES-256-GCM.
// Each ciphertext is bound to its row by the additional data (table and
// key), so a row's bytes moved to another person do not open.
type sealer struct{ aead cipher.AEAD }

// sealVersion starts each ciphertext, so another scheme can follow.
const sealVersion = 1

func newSealer(key []byte) (sealer, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return sealer{}, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return sealer{}, err
	}
	return sealer{aead}, nil
}

// seal returns version, nonce and ciphertext of plain bound to ad.
func (s sealer) seal(plain []byte, ad ...string) []byte {
	ns := s.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plain)+s.aead.Overhead())
	out[0] = sealVersion
	rand.Read(out[1:])
	return s.aead.Seal(out, out[1:1+ns], plain, aad(ad))
}

// open appends what seal sealed to dst.
func (s sealer) open(dst, sealed []byte, ad ...string) ([]byte, error) {
	ns := s.aead.NonceSize()
	if len(sealed) < 1+ns+s.aead.Overhead() || sealed[0] != sealVersion {
		return dst, errors.New("not a sealed value")
	}
	out, err := s.aead.Open(dst, sealed[1:1+ns], sealed[1+ns:], aad(ad))
	if err != nil {
		return dst, errors.New("does not open with this key for this row")
	}
	return out, nil
}

// aad encodes the row's names with their lengths, so that ("ab", "c") and
// ("a", "bc") are different rows.
func aad(parts []string) []byte {
	var b []byte
	for _, p := range parts {
		b = fmt.Appendf(b, "%d:%s;", len(p), p)
	}
	return b
}
