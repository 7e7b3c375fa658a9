package issuer

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/roomgate/roomgate/agent/pass"
	"github.com/roomgate/roomgate/internal/syncfile"
)

// MaxKidSize bounds a kid; it names files and travels in every pass header.
const MaxKidSize = 64

// CheckKid accepts kids that are safe as file names and in YAML without
// quoting: letters, digits, '.', '_' and '-', not starting with '.' or '-'.
func CheckKid(kid string) error {
	if kid == "" || len(kid) > MaxKidSize {
		return fmt.Errorf("issuer: kid %q: want 1 to %d characters", kid, MaxKidSize)
	}
	for i, c := range kid {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' ||
			(c == '.' || c == '-') && i > 0
		if !ok {
			return fmt.Errorf("issuer: kid %q: only letters, digits, '.', '_' and '-' (not first) are allowed", kid)
		}
	}
	return nil
}

// KeyFiles are the paths of a key pair written by GenerateKey.
type KeyFiles struct {
	Private string // KID.key, PKCS #8 PEM, mode 0600
	Public  string // KID.pub, SubjectPublicKeyInfo PEM
}

// KeyFilesFor returns the paths GenerateKey uses for kid in dir.
func KeyFilesFor(dir, kid string) KeyFiles {
	return KeyFiles{Private: filepath.Join(dir, kid+".key"), Public: filepath.Join(dir, kid+".pub")}
}

// GenerateKey makes a new Ed25519 key pair and writes it to dir as KID.key
// and KID.pub. It refuses to overwrite either file: replacing a signing key
// by accident would strand every box that trusts the old one.
func GenerateKey(dir, kid string) (ed25519.PublicKey, KeyFiles, error) {
	files := KeyFilesFor(dir, kid)
	if err := CheckKid(kid); err != nil {
		return nil, files, err
	}
	for _, p := range []string{files.Private, files.Public} {
		if _, err := os.Lstat(p); err == nil {
			return nil, files, fmt.Errorf("issuer: %s already exists; refusing to overwrite a key", p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, files, fmt.Errorf("issuer: %w", err)
		}
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, files, fmt.Errorf("issuer: generate key: %w", err)
	}
	privPEM, err := pass.MarshalPrivateKeyPEM(priv)
	if err != nil {
		return nil, files, fmt.Errorf("issuer: %w", err)
	}
	pubPEM, err := pass.MarshalPublicKeyPEM(pub)
	if err != nil {
		return nil, files, fmt.Errorf("issuer: %w", err)
	}
	if err := writeNew(files.Private, privPEM, 0o600); err != nil {
		return nil, files, err
	}
	if err := writeNew(files.Public, pubPEM, 0o644); err != nil {
		// Without its .pub the key is still usable, but a half-made pair
		// would make the next keygen refuse for a confusing reason.
		os.Remove(files.Private)
		return nil, files, err
	}
	return pub, files, nil
}

// writeNew writes a file that must not exist yet, and syncs it: losing a
// signing key to a power cut after keygen said it was written is worse than
// a slower keygen.
func writeNew(path string, data []byte, perm os.FileMode) error {
	if err := syncfile.Write(path, data, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm); err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	return nil
}

// LoadPrivateKey reads a PKCS #8 PEM Ed25519 private key file.
func LoadPrivateKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	priv, err := pass.ParsePrivateKeyPEM(b)
	if err != nil {
		return nil, fmt.Errorf("issuer: %s: %w", path, err)
	}
	return priv, nil
}

// LoadPublicKey reads a public key file in either form a box config
// accepts: PEM or base64url of the raw key.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	pub, err := pass.ParsePublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("issuer: %s: %w", path, err)
	}
	return pub, nil
}

// TrustSnippet returns the YAML list item that makes a box trust pub, to be
// pasted under trust.issuers in its config. Values are JSON-quoted, which
// YAML reads as double-quoted scalars, so no iss can break the document.
func TrustSnippet(kid, iss string, pub ed25519.PublicKey) string {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	var b strings.Builder
	fmt.Fprintf(&b, "- kid: %s\n", q(kid))
	fmt.Fprintf(&b, "  iss: %s\n", q(iss))
	fmt.Fprintf(&b, "  public_key: %s\n", q(pass.EncodePublicKey(pub)))
	return b.String()
}
