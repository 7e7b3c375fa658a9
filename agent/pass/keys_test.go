package pass

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestParsePublicKey(t *testing.T) {
	pub := cityKey.Public().(ed25519.PublicKey)
	pemKey, err := MarshalPublicKeyPEM(pub)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	ecPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER})
	privPEM, _ := MarshalPrivateKeyPEM(cityKey)
	b64 := EncodePublicKey(pub)

	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"base64url", b64, true},
		{"base64url padded", base64.URLEncoding.EncodeToString(pub), true},
		{"base64url with newline", " " + b64 + "\n", true},
		{"PEM", string(pemKey), true},
		{"PEM indented in YAML", "\n" + string(pemKey) + "\n\n", true},
		{"empty", "", false},
		{"standard base64", strings.NewReplacer("-", "+", "_", "/").Replace(b64) + "+", false},
		{"31 bytes", base64.RawURLEncoding.EncodeToString(pub[:31]), false},
		{"33 bytes", base64.RawURLEncoding.EncodeToString(append(bytes.Clone(pub), 0)), false},
		{"bad PEM", "-----BEGIN PUBLIC KEY-----\nnot base64\n", false},
		{"private key PEM", string(privPEM), false},
		{"EC key", string(ecPEM), false},
		{"two PEM blocks", string(pemKey) + string(pemKey), false},
	}
	for _, tt := range tests {
		got, err := ParsePublicKey([]byte(tt.in))
		if tt.ok && (err != nil || !got.Equal(pub)) || !tt.ok && err == nil {
			t.Errorf("%s: ParsePublicKey(%.40q) = %x, %v, want ok %v", tt.name, tt.in, got, err, tt.ok)
		}
	}
}

func TestPrivateKeyPEMRoundTrip(t *testing.T) {
	b, err := MarshalPrivateKeyPEM(cityKey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParsePrivateKeyPEM(b)
	if err != nil || !got.Equal(cityKey) {
		t.Fatalf("ParsePrivateKeyPEM(MarshalPrivateKeyPEM(k)) = %v, want k", err)
	}
	pubPEM, _ := MarshalPublicKeyPEM(cityKey.Public().(ed25519.PublicKey))
	for _, bad := range [][]byte{nil, []byte("garbage"), pubPEM, append(bytes.Clone(b), b...)} {
		if _, err := ParsePrivateKeyPEM(bad); err == nil {
			t.Errorf("ParsePrivateKeyPEM(%.30q) = nil error, want error", bad)
		}
	}
	if _, err := MarshalPrivateKeyPEM(cityKey[:10]); err == nil {
		t.Error("MarshalPrivateKeyPEM(10 bytes) = nil error, want error")
	}
	if _, err := MarshalPublicKeyPEM(nil); err == nil {
		t.Error("MarshalPublicKeyPEM(nil) = nil error, want error")
	}
}

// Keys made by OpenSSL, as a city's IT staff might, read the same as ours.
func TestOpenSSLKeys(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Fatal("openssl not found: install the Debian package openssl")
	}
	dir := t.TempDir()
	keyFile, pubFile := filepath.Join(dir, "k.pem"), filepath.Join(dir, "k.pub")
	for _, args := range [][]string{
		{"genpkey", "-algorithm", "ed25519", "-out", keyFile},
		{"pkey", "-in", keyFile, "-pubout", "-out", pubFile},
	} {
		if out, err := exec.Command("openssl", args...).CombinedOutput(); err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
	}
	keyPEM, _ := os.ReadFile(keyFile)
	pubPEM, _ := os.ReadFile(pubFile)
	priv, err := ParsePrivateKeyPEM(keyPEM)
	if err != nil {
		t.Fatalf("ParsePrivateKeyPEM(openssl key) = %v", err)
	}
	pub, err := ParsePublicKey(pubPEM)
	if err != nil || !pub.Equal(priv.Public()) {
		t.Fatalf("ParsePublicKey(openssl pub) = %x, %v, want %x", pub, err, priv.Public())
	}
	ours, _ := MarshalPrivateKeyPEM(priv)
	if !bytes.Equal(ours, keyPEM) {
		t.Errorf("MarshalPrivateKeyPEM = %s, want openssl's %s", ours, keyPEM)
	}
	ourPub, _ := MarshalPublicKeyPEM(pub)
	if !bytes.Equal(ourPub, pubPEM) {
		t.Errorf("MarshalPublicKeyPEM = %s, want openssl's %s", ourPub, pubPEM)
	}
}
