package citysign

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/wire"
)

// FuzzDecodeSigned feeds the box's verifier what a broker could deliver on
// config, trust, visits and cmd: it must refuse or accept without panicking, and
// accept only what the pinned key signed for this box.
func FuzzDecodeSigned(f *testing.F) {
	seed := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	city := Signer{Key: seed, Kid: "city-ops"}
	v := NewVerifier(seed.Public().(ed25519.PublicKey), "dev-a")
	now := time.Unix(1_800_000_000, 0)
	for _, s := range []struct {
		topic uint8
		p     []byte
	}{
		{0, must(city.Config("dev-a", wire.Config{Version: 1, YAML: "a: 1\n"}, now))},
		{1, must(city.Trust("dev-a", wire.Trust{Version: 1, Revoked: []string{"p"}}, now))},
		{2, must(city.Command("dev-a", wire.Command{ID: "c1", Name: wire.CmdOpenDoor}, now, 0))},
		{2, must(city.Command("dev-b", wire.Command{ID: "c1", Name: wire.CmdPing}, now, 0))},
		{2, []byte(`{"id":"c1","name":"ping"}`)},
		{0, []byte("a.b.c")},
		{1, []byte("")},
		{3, must(city.Visits("dev-a", wire.Visits{Version: 1, Visits: []wire.Visit{}}, now))},
	} {
		f.Add(s.topic, s.p)
	}
	// One topic per input, so each costs one signature check at most and
	// the run reaches more inputs.
	f.Fuzz(func(t *testing.T, topic uint8, p []byte) {
		var dev string
		var err error
		switch topic % 4 {
		case 0:
			var c wire.Config
			c, err = v.Config(p)
			dev = c.Device
		case 1:
			var tr wire.Trust
			tr, err = v.Trust(p)
			dev = tr.Device
		case 3:
			var vs wire.Visits
			vs, err = v.Visits(p)
			dev = vs.Device
		default:
			var c wire.Command
			c, err = v.Command(p)
			dev = c.Device
		}
		if err == nil && dev != "dev-a" {
			t.Fatalf("a message for %q accepted", dev)
		}
	})
}
