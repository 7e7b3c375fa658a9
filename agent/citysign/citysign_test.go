package citysign

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/pass"
	"github.com/roomgate/roomgate/agent/wire"
)

func newSigner(t testing.TB) Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return Signer{Key: priv, Kid: "city-ops"}
}

func (s Signer) public() ed25519.PublicKey { return s.Key.Public().(ed25519.PublicKey) }

func TestVerify(t *testing.T) {
	now := time.Now()
	city, other := newSigner(t), newSigner(t)
	v := NewVerifier(city.public(), "dev-a")
	cfg := wire.Config{Version: 3, YAML: "identity: {}\n"}
	trust := wire.Trust{Version: 2, Issuers: []wire.TrustIssuer{}, Revoked: []string{"p1"}}
	cmd := wire.Command{ID: "c1", Name: wire.CmdOpenDoor}
	visits := wire.Visits{Version: 5, Visits: []wire.Visit{}}
	plain := func(v any) []byte { return must(json.Marshal(v)) }
	// A JWS over the right JSON but without dev: signed for no box.
	noDev := []byte(must(pass.SignJWS(Typ, "city-ops", plain(cfg), city.Key)))
	type check struct {
		name    string
		payload []byte
		want    error
	}
	decoders := []struct {
		kind   string
		decode func([]byte) error
		checks []check
	}{
		{"config", func(p []byte) error { _, err := v.Config(p); return err }, []check{
			{"valid", must(city.Config("dev-a", cfg, now)), nil},
			{"unsigned", plain(cfg), ErrUnsigned},
			{"another key", must(other.Config("dev-a", cfg, now)), ErrBadSig},
			{"another device", must(city.Config("dev-b", cfg, now)), ErrDevice},
			{"no device", noDev, ErrDevice},
			{"tampered", tamper(must(city.Config("dev-a", cfg, now))), ErrBadSig},
			{"a trust list on config", must(city.Trust("dev-a", trust, now)), wire.ErrMalformed},
		}},
		{"trust", func(p []byte) error { _, err := v.Trust(p); return err }, []check{
			{"valid", must(city.Trust("dev-a", trust, now)), nil},
			{"unsigned", plain(trust), ErrUnsigned},
			{"another key", must(other.Trust("dev-a", trust, now)), ErrBadSig},
			{"another device", must(city.Trust("dev-b", trust, now)), ErrDevice},
		}},
		{"visits", func(p []byte) error { _, err := v.Visits(p); return err }, []check{
			{"valid", must(city.Visits("dev-a", visits, now)), nil},
			{"unsigned", plain(visits), ErrUnsigned},
			{"another key", must(other.Visits("dev-a", visits, now)), ErrBadSig},
			{"another device", must(city.Visits("dev-b", visits, now)), ErrDevice},
			{"tampered", tamper(must(city.Visits("dev-a", visits, now))), ErrBadSig},
			{"a trust list on visits", must(city.Trust("dev-a", trust, now)), wire.ErrMalformed},
		}},
		{"cmd", func(p []byte) error { _, err := v.Command(p); return err }, []check{
			{"valid", must(city.Command("dev-a", cmd, now, 0)), nil},
			{"unsigned", plain(cmd), ErrUnsigned},
			{"another key", must(other.Command("dev-a", cmd, now, 0)), ErrBadSig},
			{"another device", must(city.Command("dev-b", cmd, now, 0)), ErrDevice},
			{"unknown name", must(city.Command("dev-a", wire.Command{ID: "c2", Name: "reboot"}, now, 0)), wire.ErrUnknownCommand},
			{"a pass", []byte(must(pass.Sign(pass.Claims{ID: "p", Audience: []string{"g"}, Expires: now.Add(time.Hour)}, "city-ops", city.Key))), wire.ErrMalformed},
		}},
	}
	for _, d := range decoders {
		for _, c := range d.checks {
			err := d.decode(c.payload)
			if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
				t.Errorf("%s %s: err = %v, want %v", d.kind, c.name, err, c.want)
			}
		}
	}

	none := NewVerifier(nil, "dev-a")
	if _, err := none.Command(must(city.Command("dev-a", cmd, now, 0))); !errors.Is(err, ErrNoKey) {
		t.Errorf("a box without a city key: Command() = %v, want ErrNoKey", err)
	}
	got, err := v.Command(must(city.Command("dev-a", cmd, now, 0)))
	if err != nil || got.ID != "c1" || got.ExpiresAt-got.IssuedAt != int64(wire.DefaultCommandLifetime/time.Second) {
		t.Errorf("Command() = %+v, %v, want c1 living %v", got, err, wire.DefaultCommandLifetime)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// tamper changes one character of the payload segment.
func tamper(tok []byte) []byte {
	out := append([]byte(nil), tok...)
	i := strings.IndexByte(string(out), '.') + 5
	if out[i] == 'A' {
		out[i] = 'B'
	} else {
		out[i] = 'A'
	}
	return out
}
