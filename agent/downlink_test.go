package agent

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/citysign"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/deploy/city/mqttclient"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/internal/mqtttest"
	"github.com/roomgate/roomgate/internal/socat"
)

// ops is the city's operations service as the box sees it: it publishes
// config, trust and commands, and hears state and command results.
type ops struct {
	c     *mqttclient.Client
	msgs  chan mqttclient.Message
	early map[string]wire.CommandResult // results read while waiting for another
}

func startOps(t *testing.T, b *mqtttest.Broker) *ops {
	t.Helper()
	certFile, keyFile := b.ClientCert(t, "city-ops")
	o := &ops{msgs: make(chan mqttclient.Message, 1024), early: map[string]wire.CommandResult{}}
	c, err := mqttclient.New(mqttclient.Config{
		Broker: b.URL, CAFile: b.CAFile, CertFile: certFile, KeyFile: keyFile, ClientID: "city-ops-test",
		Subscriptions: []string{wire.Topic("test-box", wire.LeafState), wire.Topic("test-box", wire.LeafCmdResult)},
		OnMessage:     func(m mqttclient.Message) { m.Ack(); o.msgs <- m },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	o.c = c
	return o
}

// publish sends v on leaf; config, trust, visits and commands signed by cityOps
// for test-box, the rest as JSON.
func (o *ops) publish(t *testing.T, leaf string, retained bool, v any) {
	t.Helper()
	var payload []byte
	var err error
	switch v := v.(type) {
	case wire.Config:
		payload, err = cityOps.Config("test-box", v, time.Now())
	case wire.Trust:
		payload, err = cityOps.Trust("test-box", v, time.Now())
	case wire.Command:
		payload, err = cityOps.Command("test-box", v, time.Now(), 0)
	case wire.Visits:
		payload, err = cityOps.Visits("test-box", v, time.Now())
	default:
		payload, err = json.Marshal(v)
	}
	if err != nil {
		t.Fatal(err)
	}
	o.publishRaw(t, leaf, retained, payload)
}

func (o *ops) publishRaw(t *testing.T, leaf string, retained bool, payload []byte) {
	t.Helper()
	if err := o.c.Publish(context.Background(), wire.Topic("test-box", leaf), payload, retained); err != nil {
		t.Fatal(err)
	}
}

// waitState waits for a state message that satisfies ok.
func (o *ops) waitState(t *testing.T, what string, ok func(wire.State) bool) wire.State {
	t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case m := <-o.msgs:
			if !strings.HasSuffix(m.Topic, "/"+wire.LeafState) {
				continue
			}
			st, err := wire.DecodeState(m.Payload)
			if err != nil {
				t.Fatalf("state does not decode: %v", err)
			}
			if ok(st) {
				return st
			}
		case <-timeout:
			t.Fatalf("no state with %s within 15 s", what)
		}
	}
}

// command sends a command and waits for its result.
func (o *ops) command(t *testing.T, c wire.Command) wire.CommandResult {
	t.Helper()
	o.publish(t, wire.LeafCmd, false, c)
	return o.result(t, c.ID)
}

// result waits for the result of command id.
func (o *ops) result(t *testing.T, id string) wire.CommandResult {
	t.Helper()
	if r, ok := o.early[id]; ok {
		delete(o.early, id)
		return r
	}
	timeout := time.After(15 * time.Second)
	for {
		select {
		case m := <-o.msgs:
			if !strings.HasSuffix(m.Topic, "/"+wire.LeafCmdResult) {
				continue
			}
			r, err := wire.DecodeCommandResult(m.Payload)
			if err != nil {
				t.Fatalf("command result does not decode: %v", err)
			}
			if r.ID == id {
				return r
			}
			o.early[r.ID] = r
		case <-timeout:
			t.Fatalf("no result for command %s within 15 s", id)
		}
	}
}

// TestCityDownlink drives a running agent through a real broker as the
// city would: trust that takes effect on the next scan, commands, configs
// refused with their reason, and one applied by a reload.
func TestCityDownlink(t *testing.T) {
	c := &city{broker: mqtttest.Start(t)}
	o := startOps(t, c.broker)
	dir := t.TempDir()
	link := socat.Pair(t, dir)
	local, cityKey := newIssuer(t), newIssuer(t)
	cfgPath := c.boxConfig(t, dir, link.Device, local)
	ra := startAgent(t, cfgPath)
	o.waitState(t, "the box online", func(st wire.State) bool { return st.Online && st.Link.Connected })

	cityKey.kid = "city-2"
	cityPass := func(id string) string { return cityKey.pass(t, id, "test-site/test-gate") }
	entries := scanUntilSeen(t, ra, link, cityPass("p-before"), 0)
	if e := entries[0]; e.Granted || e.Reason != "unknown_issuer" {
		t.Fatalf("a city-2 pass before the trust arrived: %+v, want unknown_issuer", e)
	}

	o.publish(t, wire.LeafTrust, true, wire.Trust{Version: 1,
		Issuers: []wire.TrustIssuer{{Kid: "city-2", Iss: "city", PublicKey: base64.RawURLEncoding.EncodeToString(cityKey.pub)}},
		Revoked: []string{"p-revoked"}})
	o.waitState(t, "trust v1 applied", func(st wire.State) bool { return st.Trust.Version == 1 && st.Trust.Applied && st.Versions.Trust == 1 })
	link.Write([]byte(cityPass("p-after") + "\r"))
	link.Write([]byte(local.pass(t, "p-revoked", "test-site/test-gate") + "\r"))
	entries = ra.waitEntries(t, 3)
	if e := entries[1]; !e.Granted || e.PassID != "p-after" {
		t.Errorf("a city-2 pass after the trust arrived: %+v, want granted", e)
	}
	if e := entries[0]; e.Granted || e.Reason != "revoked" {
		t.Errorf("a pass the city revoked: %+v, want revoked", e)
	}

	if r := o.command(t, wire.Command{ID: "c-ping", Name: wire.CmdPing}); !r.OK {
		t.Errorf("ping = %+v, want ok", r)
	}
	// The grant above may still hold the relay; a pulse then only extends.
	for deadline := time.Now().Add(5 * time.Second); ra.lines.Value(config.RoleRelay) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	relayBefore := relayPulses(ra)
	if r := o.command(t, wire.Command{ID: "c-open", Name: wire.CmdOpenDoor}); !r.OK {
		t.Errorf("open_door = %+v, want ok", r)
	}
	if relayPulses(ra) == relayBefore {
		t.Error("open_door did not pulse the relay")
	}
	if r := o.command(t, wire.Command{ID: "c-resync", Name: wire.CmdResync}); !r.OK {
		t.Errorf("resync = %+v, want ok", r)
	}
	if r := o.command(t, wire.Command{ID: "c-reboot", Name: "reboot"}); r.OK || !strings.Contains(r.Error, "unknown command") {
		t.Errorf("an unknown command = %+v, want refused", r)
	}

	original, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	yaml := string(original)
	for _, bad := range []struct {
		version int64
		yaml    string
		reason  string
	}{
		{1, yaml + "surprise: 1\n", "surprise"},
		{2, strings.Replace(yaml, "device: test-box", "device: other-box", 1), "identity"},
	} {
		o.publish(t, wire.LeafConfig, true, wire.Config{Version: bad.version, YAML: bad.yaml})
		st := o.waitState(t, "config refused", func(st wire.State) bool { return st.Config.Version == bad.version })
		if st.Config.Applied || !strings.Contains(st.Config.Error, bad.reason) {
			t.Errorf("config v%d: state says %+v, want refused naming %q", bad.version, st.Config, bad.reason)
		}
	}
	// What the city's key did not sign for this box is refused too.
	next := strings.Replace(yaml, "pulse: 200ms", "pulse: 300ms", 1)
	otherKey := citysign.Signer{Key: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize)), Kid: "city-ops"}
	unsigned, _ := json.Marshal(wire.Config{Version: 4, YAML: next})
	forged, _ := otherKey.Config("test-box", wire.Config{Version: 5, YAML: next}, time.Now())
	misaddressed, _ := cityOps.Config("other-box", wire.Config{Version: 6, YAML: next}, time.Now())
	for _, bad := range []struct {
		payload []byte
		reason  string
	}{{unsigned, "not signed"}, {forged, "signature does not match"}, {misaddressed, `signed for device "other-box"`}} {
		o.publishRaw(t, wire.LeafConfig, true, bad.payload)
		st := o.waitState(t, "config refused", func(st wire.State) bool { return strings.Contains(st.Config.Error, bad.reason) })
		if st.Config.Applied || st.Versions.Config != 0 {
			t.Errorf("config %q: state says %+v, want refused", bad.reason, st.Config)
		}
	}
	cityPath := filepath.Join(dir, "city-config.yaml")
	if now, _ := os.ReadFile(cfgPath); string(now) != yaml {
		t.Error("a refused config changed the config file")
	}
	if _, err := os.Stat(cityPath); err == nil {
		t.Error("a refused config was written as the city's")
	}
	link.Write([]byte("still here\r"))
	if e := ra.waitEntries(t, 4)[0]; e.Reason != "garbage" {
		t.Errorf("the gate after refused configs: %+v, want a garbage denial", e)
	}

	o.publish(t, wire.LeafConfig, true, wire.Config{Version: 3, YAML: next})
	select {
	case err := <-ra.done:
		close(ra.done)
		if !errors.Is(err, ErrReload) {
			t.Fatalf("Run() after a valid config = %v, want ErrReload", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the agent did not reload within 15 s of a valid config")
	}
	if now, _ := os.ReadFile(cfgPath); string(now) != yaml {
		t.Error("the city's config changed the local config file")
	}
	if got, err := os.ReadFile(cityPath); err != nil || string(got) != next {
		t.Fatalf("city config file after v3: %q, %v; want v3's YAML", got, err)
	}
}

// relayPulses counts how often the relay was switched on.
func relayPulses(ra *runningAgent) int {
	n := 0
	for _, c := range ra.lines.Changes() {
		if c.Role == config.RoleRelay && c.On {
			n++
		}
	}
	return n
}
