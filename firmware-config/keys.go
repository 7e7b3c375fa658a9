package config

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/roomgate/roomgate/agent/pass"
)

// IssuerKey is a pass issuer's decoded public key.
type IssuerKey struct {
	Iss string            // expected iss claim; empty accepts any
	Key ed25519.PublicKey // 32 bytes
}

// PublicKeys decodes the issuers' keys, by kid. Key files are read now,
// relative to dir (the config file's directory) unless absolute.
func (c *Config) PublicKeys(dir string) (map[string]IssuerKey, error) {
	out := make(map[string]IssuerKey, len(c.Trust.Issuers))
	for _, is := range c.Trust.Issuers {
		if _, dup := out[is.Kid]; dup {
			return nil, fmt.Errorf("config: issuer %q: duplicate kid", is.Kid)
		}
		k, err := is.key(dir)
		if err != nil {
			return nil, fmt.Errorf("config: issuer %q: %w", is.Kid, err)
		}
		out[is.Kid] = IssuerKey{Iss: is.Iss, Key: k}
	}
	return out, nil
}

// key decodes the issuer's public key from the config or its key file.
func (is Issuer) key(dir string) (ed25519.PublicKey, error) {
	switch {
	case is.PublicKey != "" && is.KeyFile != "":
		return nil, errors.New("give public_key or key_file, not both")
	case is.PublicKey != "":
		return pass.ParsePublicKey([]byte(is.PublicKey))
	case is.KeyFile != "":
		return readPublicKeyFile(dir, is.KeyFile)
	}
	return nil, errors.New("want public_key or key_file")
}

// CityKey reads sync.city_key, the key the city signs config, trust and
// commands with; nil when the config names none.
func (c *Config) CityKey(dir string) (ed25519.PublicKey, error) {
	if c.Sync.CityKey == "" {
		return nil, nil
	}
	k, err := readPublicKeyFile(dir, c.Sync.CityKey)
	if err != nil {
		return nil, fmt.Errorf("config: sync.city_key: %w", err)
	}
	return k, nil
}

// readPublicKeyFile reads a PEM PUBLIC KEY file, relative to dir unless
// absolute.
func readPublicKeyFile(dir, path string) (ed25519.PublicKey, error) {
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(string(data), "-----BEGIN") {
		return nil, fmt.Errorf("%s: want a PEM PUBLIC KEY block", path)
	}
	k, err := pass.ParsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}
