package pass

import (
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"testing"
)

func BenchmarkVerify(b *testing.B) {
	tok := mustSign(b, testClaims(), "city-1", cityKey)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Verify(tok, testKeys); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEd25519Verify is the floor under BenchmarkVerify: the signature
// check alone, on the same message.
func BenchmarkEd25519Verify(b *testing.B) {
	tok := mustSign(b, testClaims(), "city-1", cityKey)
	i := strings.LastIndexByte(tok, '.')
	msg := []byte(tok[:i])
	sig, _ := base64.RawURLEncoding.DecodeString(tok[i+1:])
	pub := cityKey.Public().(ed25519.PublicKey)
	b.ReportAllocs()
	for b.Loop() {
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("signature does not verify")
		}
	}
}
