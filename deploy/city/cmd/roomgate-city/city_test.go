package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/roomgate/roomgate/agent/citysign"
	"github.com/roomgate/roomgate/agent/pass"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/deploy/city/ingest/sqlitestore"
	"github.com/roomgate/roomgate/deploy/city/issuer"
	"github.com/roomgate/roomgate/deploy/city/mqttclient"
	"github.com/roomgate/roomgate/internal/logbuf"
	"github.com/roomgate/roomgate/internal/metricstest"
	"github.com/roomgate/roomgate/internal/mqtttest"
)

// fakeBox connects as device name and hands what arrives on its topics to
// onMessage.
func fakeBox(t *testing.T, b *mqtttest.Broker, name string, leaves []string, onMessage func(*mqttclient.Client, mqttclient.Message)) *mqttclient.Client {
	t.Helper()
	cert, key := b.ClientCert(t, name)
	var subs []string
	for _, l := range leaves {
		subs = append(subs, wire.Topic(name, l))
	}
	var c *mqttclient.Client
	ready := make(chan struct{})
	c, err := mqttclient.New(mqttclient.Config{
		Broker: b.URL, CAFile: b.CAFile, CertFile: cert, KeyFile: key, ClientID: name,
		Subscriptions: subs,
		OnMessage: func(m mqttclient.Message) {
			<-ready
			defer m.Ack()
			onMessage(c, m)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	close(ready)
	if err := c.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// brokerArgs are the flags that connect a command to b as cn.
func brokerArgs(t *testing.T, b *mqtttest.Broker, cn string) []string {
	cert, key := b.ClientCert(t, cn)
	return []string{"-broker", b.URL, "-ca", b.CAFile, "-cert", cert, "-key", key}
}

// signKey makes a city signing key with keygen's code and returns its
// private key file and the boxes' verifier for device.
func signKey(t *testing.T) (string, func(device string) *citysign.Verifier) {
	t.Helper()
	dir := t.TempDir()
	pub, files, err := issuer.GenerateKey(dir, "city-sign")
	if err != nil {
		t.Fatal(err)
	}
	return files.Private, func(device string) *citysign.Verifier { return citysign.NewVerifier(pub, device) }
}

func TestTrustPublish(t *testing.T) {
	b := mqtttest.Start(t)
	dir := t.TempDir()
	var pubs []string
	for _, kid := range []string{"city-2026", "city-2027"} {
		pub, _, err := issuer.GenerateKey(dir, kid)
		if err != nil {
			t.Fatal(err)
		}
		pubs = append(pubs, pass.EncodePublicKey(pub))
	}
	keyFile, verifier := signKey(t)
	args := append([]string{"trust", "publish", "-sign-key", keyFile,
		"-device", "dev-a,dev-b", "-version", "7", "-revoke", "pass-1, pass-2",
		"-issuer", "city-2026=" + filepath.Join(dir, "city-2026.pub") + ",city-2027=" + filepath.Join(dir, "city-2027.pub")},
		brokerArgs(t, b, "city-ops")...)
	out, _, err := runAt(testNow, "", args...)
	if err != nil {
		t.Fatalf("trust publish = %v", err)
	}
	if !strings.Contains(out, "dev-a: trust version 7, 2 issuers, 2 revoked") || !strings.Contains(out, "dev-b:") {
		t.Errorf("trust publish printed %q, want a line per device", out)
	}
	want := wire.Trust{Version: 7, Revoked: []string{"pass-1", "pass-2"}, Issuers: []wire.TrustIssuer{
		{Kid: "city-2026", Iss: "city", PublicKey: pubs[0]},
		{Kid: "city-2027", Iss: "city", PublicKey: pubs[1]},
	}}
	// The boxes connect afterwards: the message is retained for them.
	for _, dev := range []string{"dev-a", "dev-b"} {
		got := make(chan wire.Trust, 1)
		fakeBox(t, b, dev, []string{wire.LeafTrust}, func(_ *mqttclient.Client, m mqttclient.Message) {
			// As the box reads it: signed by the city for this box.
			tr, err := verifier(dev).Trust(m.Payload)
			if err != nil {
				t.Errorf("%s: Trust(%s) = %v", dev, m.Payload, err)
			}
			got <- tr
		})
		select {
		case tr := <-got:
			if tr.Version != want.Version || !slices.Equal(tr.Revoked, want.Revoked) || !slices.Equal(tr.Issuers, want.Issuers) {
				t.Errorf("%s: trust = %+v, want %+v", dev, tr, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no retained trust message", dev)
		}
	}
}

func TestTrustPublishErrors(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := issuer.GenerateKey(dir, "k1"); err != nil {
		t.Fatal(err)
	}
	pub := filepath.Join(dir, "k1.pub")
	// Every case fails before connecting: no broker runs.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-version", "1"}, "-device is required"},
		{[]string{"-device", "dev-a"}, "-version is required"},
		{[]string{"-device", "Dev A", "-version", "1"}, "not a device id"},
		{[]string{"-device", "dev-a", "-version", "1", "-issuer", "k1"}, "want KID=FILE"},
		{[]string{"-device", "dev-a", "-version", "1", "-issuer", "k1=" + filepath.Join(dir, "missing.pub")}, "no such file"},
		{[]string{"-device", "dev-a", "-version", "1", "-issuer", "k1=" + filepath.Join(dir, "k1.key")}, "public key"},
		{[]string{"-device", "dev-a", "-version", "1", "-issuer", "k1=" + pub + ",k1=" + pub}, "listed twice"},
		{[]string{"-device", "dev-a", "-version", "1", "-revoke", "p1,p1"}, "listed twice"},
		{[]string{"-device", "dev-a", "-version", "1"}, "-sign-key is required"},
		{[]string{"-device", "dev-a", "-version", "1", "-sign-key", pub}, "private key"},
	} {
		_, _, err := runAt(testNow, "", append([]string{"trust", "publish", "-broker", "ssl://127.0.0.1:1"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("trust publish %q = %v, want an error about %q", c.args, err, c.want)
		}
	}
}

func TestCmd(t *testing.T) {
	b := mqtttest.Start(t)
	keyFile, verifier := signKey(t)
	// The box answers ping, refuses open_door, and ignores resync.
	seen := make(chan wire.Command, 10)
	fakeBox(t, b, "dev-a", []string{wire.LeafCmd}, func(c *mqttclient.Client, m mqttclient.Message) {
		cmd, err := verifier("dev-a").Command(m.Payload)
		if err == nil {
			err = cmd.CheckTime(testNow)
		}
		if err != nil {
			t.Errorf("Command(%s) = %v", m.Payload, err)
			return
		}
		seen <- cmd
		var r wire.CommandResult
		switch cmd.Name {
		case wire.CmdPing:
			// An answer to some other command first: the tool must wait
			// for its own.
			other, _ := json.Marshal(wire.CommandResult{ID: "other", OK: false, Error: "not yours"})
			c.Publish(context.Background(), wire.Topic("dev-a", wire.LeafCmdResult), other, false)
			r = wire.CommandResult{ID: cmd.ID, OK: true, Result: map[string]any{"pong": true}}
		case wire.CmdOpenDoor:
			r = wire.CommandResult{ID: cmd.ID, OK: false, Error: "door contact stuck"}
		case wire.CmdDial, wire.CmdHangUp:
			r = wire.CommandResult{ID: cmd.ID, OK: true}
		case wire.CmdCallStatus:
			r = wire.CommandResult{ID: cmd.ID, OK: true, Result: wire.CallState{Terminal: "poly", Reachable: true, State: wire.CallConnected, Meeting: "M-1", Bridge: "sip:a@b"}}
		default:
			return
		}
		p, _ := json.Marshal(r)
		if err := c.Publish(context.Background(), wire.Topic("dev-a", wire.LeafCmdResult), p, false); err != nil {
			t.Error(err)
		}
	})
	ops := append(brokerArgs(t, b, "city-ops"), "-sign-key", keyFile)

	out, _, err := runAt(testNow, "", append([]string{"cmd", "-device", "dev-a", "-name", "ping"}, ops...)...)
	if err != nil {
		t.Fatalf("cmd ping = %v", err)
	}
	r, err := wire.DecodeCommandResult(bytes.TrimSpace([]byte(out)))
	if err != nil || !r.OK || string(r.Result.(json.RawMessage)) != `{"pong":true}` {
		t.Errorf("cmd ping printed %q (%v), want an ok result with pong", out, err)
	}

	out, _, err = runAt(testNow, "", append([]string{"cmd", "-device", "dev-a", "-name", "open_door", "-args", `{"seconds":3}`}, ops...)...)
	if !errors.Is(err, errNotOK) || !strings.Contains(err.Error(), "door contact stuck") || !strings.Contains(out, `"ok":false`) {
		t.Errorf("cmd open_door = %q, %v, want the box's refusal", out, err)
	}

	start := time.Now()
	_, _, err = runAt(testNow, "", append([]string{"cmd", "-device", "dev-a", "-name", "resync", "-timeout", "1s"}, ops...)...)
	if err == nil || !strings.Contains(err.Error(), "did not answer") {
		t.Errorf("cmd resync (no answer) = %v, want a timeout", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("cmd -timeout 1s took %v", d)
	}

	dialArgs := `{"meeting":"M-1","dial":"sip:giaoban@bridge.hanoi.gov.vn","protocol":"sip"}`
	dialFlags := []string{"-name", "dial", "-meeting", "M-1", "-bridge", "sip:giaoban@bridge.hanoi.gov.vn", "-protocol", "sip"}
	for _, c := range [][]string{{"-name", "dial", "-args", dialArgs}, dialFlags, {"-name", "hang_up"}} {
		if out, _, err := runAt(testNow, "", append(append([]string{"cmd", "-device", "dev-a"}, c...), ops...)...); err != nil || !strings.Contains(out, `"ok":true`) {
			t.Errorf("cmd %q = %q, %v, want ok", c, out, err)
		}
	}
	out, _, err = runAt(testNow, "", append([]string{"cmd", "-device", "dev-a", "-name", "call_status"}, ops...)...)
	if err != nil || !strings.Contains(out, `"state":"connected"`) || !strings.Contains(out, `"bridge":"sip:a@b"`) {
		t.Errorf("cmd call_status = %q, %v, want the box's call, connected", out, err)
	}

	for _, want := range []wire.Command{{Name: wire.CmdPing}, {Name: wire.CmdOpenDoor, Args: json.RawMessage(`{"seconds":3}`)}, {Name: wire.CmdResync},
		{Name: wire.CmdDial, Args: json.RawMessage(dialArgs)}, {Name: wire.CmdDial, Args: json.RawMessage(dialArgs)}, {Name: wire.CmdHangUp}, {Name: wire.CmdCallStatus}} {
		select {
		case c := <-seen:
			if c.Name != want.Name || string(c.Args) != string(want.Args) {
				t.Errorf("the box got %+v, want %+v", c, want)
			}
			if _, err := uuid.Parse(c.ID); err != nil {
				t.Errorf("command id %q: %v, want a UUID", c.ID, err)
			}
			if c.IssuedAt != testNow.Unix() || time.Duration(c.ExpiresAt-c.IssuedAt)*time.Second != wire.DefaultCommandLifetime {
				t.Errorf("command %s: iat %d, exp %d, want now and %v later", c.Name, c.IssuedAt, c.ExpiresAt, wire.DefaultCommandLifetime)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("the box did not get %s", want.Name)
		}
	}
}

func TestCmdErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-name", "ping"}, "want a device id"},
		{[]string{"-device", "dev-a"}, "unknown command"},
		{[]string{"-device", "dev-a", "-name", "reboot"}, "unknown command"},
		{[]string{"-device", "dev-a", "-name", "ping", "-args", "[1]"}, "args"},
		{[]string{"-device", "dev-a", "-name", "ping", "-args", "{"}, "args"},
		{[]string{"-device", "dev-a", "-name", "ping", "-timeout", "0s"}, "-timeout"},
		{[]string{"-device", "dev-a", "-name", "ping", "-ttl", "1h"}, "-ttl"},
		{[]string{"-device", "dev-a", "-name", "ping"}, "-sign-key is required"},
		{[]string{"-device", "dev-a", "-name", "dial", "-args", `{"dial":"8001\" ; hangup all"}`}, "dial args: dial"},
		{[]string{"-device", "dev-a", "-name", "dial", "-args", `{"dial":"8001","protocol":"isdn"}`}, "dial args: protocol"},
		{[]string{"-device", "dev-a", "-name", "dial", "-args", `{"speed":768}`}, "protocol and speed without dial"},
		{[]string{"-device", "dev-a", "-name", "dial", "-args", `{"number":"8001"}`}, "unknown field"},
		{[]string{"-device", "dev-a", "-name", "hang_up", "-ttl", "11m"}, "-ttl"},
		{[]string{"-device", "dev-a", "-name", "ping", "-meeting", "M-1"}, "for -name dial"},
		{[]string{"-device", "dev-a", "-name", "dial", "-meeting", "M-1", "-args", `{}`}, "not both"},
		{[]string{"-device", "dev-a", "-name", "dial", "-bridge", `8001";hangup all`}, "dial args: dial"},
		{[]string{"-device", "dev-a", "-name", "dial", "-protocol", "sip"}, "protocol and speed without dial"},
	} {
		_, _, err := runAt(testNow, "", append([]string{"cmd", "-broker", "ssl://127.0.0.1:1"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("cmd %q = %v, want an error about %q", c.args, err, c.want)
		}
	}
}

func TestIngestCommand(t *testing.T) {
	b := mqtttest.Start(t)
	db := filepath.Join(t.TempDir(), "city.db")
	ctx, cancel := context.WithCancel(context.Background())
	orig := signalContext
	signalContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	t.Cleanup(func() { signalContext = orig })

	var stderr logbuf.Buffer
	done := make(chan error, 1)
	go func() {
		a := &app{stdout: &bytes.Buffer{}, stderr: &stderr, now: time.Now}
		done <- a.dispatch("roomgate-city", topCommands, append([]string{"ingest", "-db", "sqlite:" + db, "-every", "100ms", "-metrics", "127.0.0.1:0"},
			brokerArgs(t, b, "city-ingest")...))
	}()
	acks := make(chan wire.Ack, 1)
	box := fakeBox(t, b, "dev-a", []string{wire.LeafAck}, func(_ *mqttclient.Client, m mqttclient.Message) {
		a, err := wire.DecodeAck(m.Payload)
		if err != nil {
			t.Errorf("DecodeAck(%s) = %v", m.Payload, err)
		}
		acks <- a
	})
	var evs []wire.Event
	var ids []string
	for range 3 {
		id := uuid.Must(uuid.NewV7()).String()
		ids = append(ids, id)
		evs = append(evs, wire.Event{SpecVersion: "1.0", ID: id, Source: wire.Source("hq", "dev-a"), Type: "vn.roomgate.door.v1",
			Time: testNow, DataContentType: "application/json", Data: json.RawMessage(`{"open":true}`)})
	}
	p, _ := json.Marshal(evs)
	// Ingest may still be connecting; publish until it acks.
	deadline := time.Now().Add(15 * time.Second)
	var got wire.Ack
wait:
	for {
		if err := box.Publish(context.Background(), wire.Topic("dev-a", wire.LeafEvents), p, false); err != nil {
			t.Fatal(err)
		}
		select {
		case got = <-acks:
			break wait
		case err := <-done:
			t.Fatalf("ingest = %v\n%s", err, stderr.String())
		case <-time.After(500 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatalf("no ack within 15s; ingest logged:\n%s", stderr.String())
			}
		}
	}
	if !slices.Equal(got.IDs, ids) {
		t.Errorf("ack = %v, want %v", got.IDs, ids)
	}
	// The same batch again: its events are dropped as duplicates.
	if err := box.Publish(context.Background(), wire.Topic("dev-a", wire.LeafEvents), p, false); err != nil {
		t.Fatal(err)
	}
	<-acks
	checkIngestMetrics(t, stderr.String())
	time.Sleep(300 * time.Millisecond) // a progress line or two
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ingest after SIGTERM = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ingest did not stop within 10s of SIGTERM")
	}
	log := stderr.String()
	for _, want := range []string{"component=ingest", "msg=connected", "msg=progress", "msg=stopped", "stored=3"} {
		if !strings.Contains(log, want) {
			t.Errorf("ingest log lacks %q:\n%s", want, log)
		}
	}
	s, err := sqlitestore.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, err := s.IDs(context.Background(), wire.Source("hq", "dev-a")); err != nil || !slices.Equal(got, ids) {
		t.Errorf("stored ids = %v, %v, want %v", got, err, ids)
	}
}

// checkIngestMetrics scrapes the ingest that logged log: three door events
// stored once, every other copy of the batch it took (publishes before it
// subscribed are lost) counted as duplicates.
func checkIngestMetrics(t *testing.T, log string) {
	t.Helper()
	m := regexp.MustCompile(`msg="metrics served" component=ingest addr=(\S+)`).FindStringSubmatch(log)
	if m == nil {
		t.Fatalf("ingest did not say where it serves metrics:\n%s", log)
	}
	f := metricstest.Scrape(t, "http://"+m[1]+"/metrics")
	taken, _ := f.Value("roomgate_city_messages_total")
	if taken < 2 {
		t.Errorf("roomgate_city_messages_total = %v, want the batch and its resend at least", taken)
	}
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"roomgate_city_events_stored_total", []string{"type=vn.roomgate.door.v1"}, 3},
		{"roomgate_city_events_stored_total", []string{"type=vn.roomgate.entry.v1"}, 0},
		{"roomgate_city_events_duplicate_total", nil, 3 * (taken - 1)},
		{"roomgate_city_batch_commit_seconds", nil, taken},
		{"roomgate_city_database_errors_total", nil, 0},
	} {
		if got, ok := f.Value(c.name, c.labels...); !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	// testNow is long past: the lag is the events' age.
	if lag, ok := f.Value("roomgate_city_device_lag_seconds", "device=dev-a"); !ok || lag < time.Since(testNow).Seconds()-60 {
		t.Errorf("lag of dev-a = %v (present %v), want about %v s", lag, ok, time.Since(testNow).Seconds())
	}
}

func TestIngestErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-db", "mysql://x"}, "want postgres://... or sqlite:PATH"},
		{[]string{"-db", "sqlite:" + filepath.Join(t.TempDir(), "no", "such", "dir", "x.db")}, "sqlitestore"},
		{[]string{"-every", "-1s"}, "-every"},
		{[]string{"-workers", "0"}, "-workers"},
		{[]string{"-db", "sqlite:" + filepath.Join(t.TempDir(), "x.db"), "-ca-dir", filepath.Join(t.TempDir(), "no-ca")}, "not a CA's directory"},
		{[]string{"-db", "sqlite:" + filepath.Join(t.TempDir(), "x.db"), "-broker", "ssl://127.0.0.1:1", "-ca", "/nonexistent"}, "CA"},
	} {
		_, _, err := runAt(testNow, "", append([]string{"ingest"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ingest %q = %v, want an error about %q", c.args, err, c.want)
		}
	}
}

func TestPublishConfig(t *testing.T) {
	b := mqtttest.Start(t)
	keyFile, verifier := signKey(t)
	file := filepath.Join(t.TempDir(), "dev-a.yaml")
	yaml := "identity: {site: hq, gate: east, device: dev-a}\nboard: sim\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := runAt(testNow, "", append([]string{"publish", "config", "-device", "dev-a", "-version", "12", "-file", file, "-sign-key", keyFile}, brokerArgs(t, b, "city-ops")...)...)
	if err != nil || !strings.Contains(out, "dev-a: config version 12") {
		t.Fatalf("publish config = %q, %v", out, err)
	}
	got := make(chan wire.Config, 1)
	fakeBox(t, b, "dev-a", []string{wire.LeafConfig}, func(_ *mqttclient.Client, m mqttclient.Message) {
		c, err := verifier("dev-a").Config(m.Payload)
		if err != nil {
			t.Errorf("Config(%s) = %v", m.Payload, err)
		}
		got <- c
	})
	select {
	case c := <-got:
		if c.Version != 12 || c.YAML != yaml || c.IssuedAt != testNow.Unix() {
			t.Errorf("the box got config %+v, want version 12 of the file, issued now", c)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no retained config message")
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-version", "1", "-file", file, "-sign-key", keyFile}, "want a device id"},
		{[]string{"-device", "dev-a", "-file", file, "-sign-key", keyFile}, "-version is required"},
		{[]string{"-device", "dev-a", "-version", "1", "-sign-key", keyFile}, "-file is required"},
		{[]string{"-device", "dev-a", "-version", "1", "-file", file}, "-sign-key is required"},
		{[]string{"-device", "dev-a", "-version", "1", "-file", file + ".missing", "-sign-key", keyFile}, "no such file"},
	} {
		_, _, err := runAt(testNow, "", append([]string{"publish", "config", "-broker", "ssl://127.0.0.1:1"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("publish config %q = %v, want an error about %q", c.args, err, c.want)
		}
	}
}
