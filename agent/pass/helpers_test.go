package pass

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"testing"
	"time"
)

// testKey returns a deterministic key, so fuzz seeds stay valid across runs.
func testKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

type keyMap map[string]Key

func (k keyMap) Lookup(kid string) (Key, bool) {
	key, ok := k[kid]
	return key, ok
}

var (
	cityKey  = testKey(1)
	otherKey = testKey(2)
	testKeys = keyMap{
		"city-1": {Public: cityKey.Public().(ed25519.PublicKey), Issuer: "city"},
		"any":    {Public: cityKey.Public().(ed25519.PublicKey)},
		"short":  {Public: cityKey.Public().(ed25519.PublicKey)[:31]},
	}
)

// signRaw signs arbitrary header and payload bytes, to build passes that
// Sign refuses to make.
func signRaw(header, payload string, priv ed25519.PrivateKey) string {
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	return signing + "." + enc.EncodeToString(ed25519.Sign(priv, []byte(signing)))
}

const cityHeader = `{"alg":"EdDSA","kid":"city-1","typ":"JWT"}`

func testClaims() Claims {
	return Claims{
		ID:        "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
		Issuer:    "city",
		Subject:   "V-1001",
		Name:      "Nguyễn Văn An",
		Host:      "Trần Thị Bình",
		Audience:  []string{"hq-gate-1"},
		NotBefore: time.Unix(1767225600, 0).UTC(), // 2026-01-01T00:00:00Z
		Expires:   time.Unix(1767254400, 0).UTC(), // eight hours later
		Uses:      1,
	}
}

func mustSign(t testing.TB, c Claims, kid string, priv ed25519.PrivateKey) string {
	t.Helper()
	tok, err := Sign(c, kid, priv)
	if err != nil {
		t.Fatalf("Sign(%+v, %q) = %v", c, kid, err)
	}
	return tok
}
