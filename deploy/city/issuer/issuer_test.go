package issuer

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/roomgate/roomgate/agent/pass"
)

func TestCheckKid(t *testing.T) {
	tests := []struct {
		kid string
		ok  bool
	}{
		{"city-2026", true},
		{"City_2026.v2", true},
		{"k", true},
		{strings.Repeat("k", MaxKidSize), true},
		{"", false},
		{strings.Repeat("k", MaxKidSize+1), false},
		{".hidden", false},
		{"-flag", false},
		{"../up", false},
		{"a/b", false},
		{"a b", false},
		{"kí", false},
		{"a:b", false},
	}
	for _, tt := range tests {
		if err := CheckKid(tt.kid); (err == nil) != tt.ok {
			t.Errorf("CheckKid(%q) = %v, want ok %v", tt.kid, err, tt.ok)
		}
	}
}

// Whatever the issuer name, the snippet reads back as the same values.
func TestTrustSnippetQuoting(t *testing.T) {
	pub := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	for _, iss := range []string{"city", "Sở Nội vụ: HN", `a "quoted" # name`, "two\nlines", "- dash", "yes", "0123"} {
		var got []struct {
			Kid, Iss  string
			PublicKey string `yaml:"public_key"`
		}
		snippet := TrustSnippet("k1", iss, pub)
		if err := yaml.Unmarshal([]byte(snippet), &got); err != nil || len(got) != 1 {
			t.Fatalf("TrustSnippet(%q) does not parse (%v):\n%s", iss, err, snippet)
		}
		if got[0].Kid != "k1" || got[0].Iss != iss || got[0].PublicKey != pass.EncodePublicKey(pub) {
			t.Errorf("TrustSnippet(%q) reads back as %+v", iss, got[0])
		}
	}
}

func TestGenerateKey(t *testing.T) {
	dir := t.TempDir()
	pub, files, err := GenerateKey(dir, "k1")
	if err != nil {
		t.Fatal(err)
	}
	priv, err := LoadPrivateKey(files.Private)
	if err != nil || !priv.Public().(ed25519.PublicKey).Equal(pub) {
		t.Fatalf("LoadPrivateKey(%s) = %v, want the generated key", files.Private, err)
	}
	if got, err := LoadPublicKey(files.Public); err != nil || !got.Equal(pub) {
		t.Fatalf("LoadPublicKey(%s) = %x, %v, want %x", files.Public, got, err, pub)
	}
	if _, _, err := GenerateKey(dir, "k1"); err == nil {
		t.Error("GenerateKey over an existing key = nil error, want refusal")
	}
	if _, _, err := GenerateKey(dir, "../k2"); err == nil {
		t.Error("GenerateKey(../k2) = nil error, want refusal")
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "k2.key")); err == nil {
		t.Error("GenerateKey(../k2) wrote outside dir")
	}
	if _, _, err := GenerateKey(filepath.Join(dir, "missing"), "k3"); err == nil {
		t.Error("GenerateKey into a missing directory = nil error, want error")
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		token          string
		header, claims string
		signed         bool
		ok             bool
	}{
		{"eyJhbGciOiJub25lIn0.eyJqdGkiOiJhIn0.", "{\n  \"alg\": \"none\"\n}", "{\n  \"jti\": \"a\"\n}", false, true},
		{" e30.e30.c2ln\n", "{}", "{}", true, true},
		{"e30=.e30.x", "{}", "{}", true, true},
		{"e30.e30", "", "", false, false},
		{"e30.e30.x.y", "", "", false, false},
		{"!!.e30.x", "", "", false, false},
		{"e30.bm90IGpzb24.x", "", "", false, false},
	}
	for _, tt := range tests {
		d, err := Decode(tt.token)
		if (err == nil) != tt.ok || tt.ok && (string(d.Header) != tt.header || string(d.Claims) != tt.claims || d.Signed != tt.signed) {
			t.Errorf("Decode(%q) = %q, %q, %v, %v; want %q, %q, %v, ok %v", tt.token, d.Header, d.Claims, d.Signed, err, tt.header, tt.claims, tt.signed, tt.ok)
		}
	}
}

func TestNewPassID(t *testing.T) {
	a, err1 := NewPassID()
	b, err2 := NewPassID()
	if err1 != nil || err2 != nil || a == b || len(a) != 36 || a[14] != '7' {
		t.Errorf("NewPassID() = %q, %q (%v, %v); want two distinct UUIDv7", a, b, err1, err2)
	}
}

// A pass's QR code lets its holder in: it is written readable by its owner
// only, also over an older file that was readable by everyone.
func TestWriteQRPNGIsPrivate(t *testing.T) {
	dir := t.TempDir()
	fresh, old := filepath.Join(dir, "fresh.png"), filepath.Join(dir, "old.png")
	if err := os.WriteFile(old, []byte("older pass"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fresh, old} {
		if err := WriteQRPNG(path, "header.payload.signature"); err != nil {
			t.Fatalf("WriteQRPNG(%s) = %v", path, err)
		}
		st, err := os.Stat(path)
		if err != nil || st.Mode().Perm() != 0o600 || st.Size() < 100 {
			t.Errorf("WriteQRPNG(%s): mode %v size %d (%v), want 0600 and a PNG", filepath.Base(path), st.Mode().Perm(), st.Size(), err)
		}
	}
}
