package pass

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
)

// PEM block types of the key files.
const (
	pemPublic  = "PUBLIC KEY"  // SubjectPublicKeyInfo
	pemPrivate = "PRIVATE KEY" // PKCS #8
)

// ParsePublicKey reads an issuer's Ed25519 public key written either as
// base64url of the raw 32 bytes (padding optional) or as a PEM "PUBLIC KEY"
// block (SubjectPublicKeyInfo), the two forms a box config accepts.
func ParsePublicKey(b []byte) (ed25519.PublicKey, error) {
	b = bytes.TrimSpace(b)
	if bytes.HasPrefix(b, []byte("-----BEGIN")) {
		return parsePublicPEM(b)
	}
	raw, err := base64.RawURLEncoding.DecodeString(string(bytes.TrimRight(b, "=")))
	if err != nil {
		return nil, fmt.Errorf("pass: public key: not base64url or PEM: %w", err)
	}
	if len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("pass: public key: %d bytes, want %d", len(raw), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(raw), nil
}

func parsePublicPEM(b []byte) (ed25519.PublicKey, error) {
	block, rest := pem.Decode(b)
	if block == nil {
		return nil, errors.New("pass: public key: bad PEM")
	}
	if block.Type != pemPublic {
		return nil, fmt.Errorf("pass: public key: PEM block %q, want %q", block.Type, pemPublic)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("pass: public key: data after the PEM block")
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("pass: public key: %w", err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("pass: public key: %T, want Ed25519", k)
	}
	return pub, nil
}

// EncodePublicKey returns pub as base64url without padding, the form of
// public_key in a box config.
func EncodePublicKey(pub ed25519.PublicKey) string {
	return base64.RawURLEncoding.EncodeToString(pub)
}

// MarshalPublicKeyPEM returns pub as a PEM "PUBLIC KEY" block.
func MarshalPublicKeyPEM(pub ed25519.PublicKey) ([]byte, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("pass: public key: %d bytes, want %d", len(pub), ed25519.PublicKeySize)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("pass: public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPublic, Bytes: der}), nil
}

// ParsePrivateKeyPEM reads an Ed25519 private key from a PEM "PRIVATE KEY"
// block (PKCS #8), as written by MarshalPrivateKeyPEM or
// `openssl genpkey -algorithm ed25519`.
func ParsePrivateKeyPEM(b []byte) (ed25519.PrivateKey, error) {
	block, rest := pem.Decode(b)
	if block == nil {
		return nil, errors.New("pass: private key: no PEM block")
	}
	if block.Type != pemPrivate {
		return nil, fmt.Errorf("pass: private key: PEM block %q, want %q", block.Type, pemPrivate)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("pass: private key: data after the PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("pass: private key: %w", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("pass: private key: %T, want Ed25519", k)
	}
	return priv, nil
}

// MarshalPrivateKeyPEM returns priv as a PEM "PRIVATE KEY" block (PKCS #8).
func MarshalPrivateKeyPEM(priv ed25519.PrivateKey) ([]byte, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("pass: private key: %d bytes, want %d", len(priv), ed25519.PrivateKeySize)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("pass: private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPrivate, Bytes: der}), nil
}
