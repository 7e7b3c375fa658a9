package citysign

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/wire"
)

// FuzzDecodeSigned feeds the box's verifier what a broker could deliver on
// config, trust and cmd: it must refuse or accept without panicking, and
// accept only what the pinned key signed for this box.
func FuzzDecodeSigned(f *testing.F) {
	seed := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	city := Signer{Key: seed, Kid: "city-ops"}
	v := NewVerifier(seed.Public().(ed25519.PublicKey), "dev-a")
	now := time.Unix(1_800_000_000, 0)
	for _, p := range [][]byte{
		must(city.Config("dev-a", wire.Config{Version: 1, YAML: "a: 1\n"}, now)),
		must(city.Trust("dev-a", wire.Trust{Version: 1, Revoked: []string{"p"}}, now)),
		must(city.Command("dev-a", wire.Command{ID: "c1", Name: wire.CmdOpenDoor}, now, 0)),
		must(city.Command("dev-b", wire.Command{ID: "c1", Name: wire.CmdPing}, now, 0)),
		[]byte(`{"id":"c1","name":"ping"}`),
		[]byte("a.b.c"),
		[]byte(""),
	} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		if c, err := v.Config(p); err == nil && c.Device != "dev-a" {
			t.Fatalf("config for %q accepted", c.Device)
		}
		if tr, err := v.Trust(p); err == nil && tr.Device != "dev-a" {
			t.Fatalf("trust for %q accepted", tr.Device)
		}
		if c, err := v.Command(p); err == nil && c.Device != "dev-a" {
			t.Fatalf("command for %q accepted", c.Device)
		}
	})
}
