package agent

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/citysign"
	"github.com/roomgate/roomgate/agent/event"
	"github.com/roomgate/roomgate/agent/pass"
	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/deploy/city/ingest"
	"github.com/roomgate/roomgate/deploy/city/ingest/pgstore"
	"github.com/roomgate/roomgate/deploy/city/mqttclient"
	"github.com/roomgate/roomgate/internal/logbuf"
	"github.com/roomgate/roomgate/internal/mqtttest"
	"github.com/roomgate/roomgate/internal/pgtest"
	"github.com/roomgate/roomgate/internal/socat"
)

// city is the city side for sync tests: a real Mosquitto with the shipped
// TLS and ACL setup, a real PostgreSQL, and ingest between them.
type city struct {
	broker *mqtttest.Broker
	db     *pgstore.Store
}

func newCity(t testing.TB) *city {
	t.Helper()
	b := mqtttest.Start(t)
	db, err := pgstore.Open(context.Background(), pgtest.Start(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return &city{broker: b, db: db}
}

// startIngest runs ingest until the returned stop is called (or the test ends).
func (c *city) startIngest(t testing.TB) (stop func()) {
	t.Helper()
	return c.startIngestTo(t, c.db)
}

// startIngestTo runs ingest into st, the city's database or a wrapper of it.
func (c *city) startIngestTo(t testing.TB, st ingest.Store) (stop func()) {
	t.Helper()
	certFile, keyFile := c.broker.ClientCert(t, "city-ingest")
	in := ingest.New(ingest.Config{
		MQTT:  mqttclient.Config{Broker: c.broker.URL, CAFile: c.broker.CAFile, CertFile: certFile, KeyFile: keyFile, ClientID: "city-ingest-test"},
		Store: st,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); in.Run(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// cityOps signs config, trust and commands as the city does; boxConfig pins
// its public key.
var cityOps = citysign.Signer{Key: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize)), Kid: "city-ops"}

// boxConfig writes a config for box "test-box" that syncs to the city's
// broker and trusts cityOps's signature.
func (c *city) boxConfig(t testing.TB, dir, scannerPath string, is issuer) string {
	t.Helper()
	return c.boxConfigAt(t, dir, scannerPath, "test-gate", "test-box", is)
}

// boxConfigAt writes a config for box device at gate of site "test-site"
// that syncs to the city's broker.
func (c *city) boxConfigAt(t testing.TB, dir, scannerPath, gate, device string, is issuer) string {
	t.Helper()
	path := writeConfig(t, dir, scannerPath, "fail-secure", is)
	yaml, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	yaml = []byte(strings.Replace(string(yaml), "gate: test-gate, device: test-box", "gate: "+gate+", device: "+device, 1))
	if err := os.WriteFile(path, yaml, 0o600); err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := c.broker.ClientCert(t, device)
	pub, err := pass.MarshalPublicKeyPEM(cityOps.Key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "city-ops.pub"), pub, 0o644); err != nil {
		t.Fatal(err)
	}
	sync := fmt.Sprintf(`sync:
  broker: %s
  ca_file: %s
  cert_file: %s
  key_file: %s
  ack_timeout: 2s
  backoff_min: 100ms
  backoff_max: 1s
  state_every: 1s
  city_key: city-ops.pub
`, c.broker.URL, c.broker.CAFile, certFile, keyFile)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(sync); err != nil {
		t.Fatal(err)
	}
	return path
}

// produce commits n entries straight into the box's store, as the gate
// would, and returns their ids.
func produce(t *testing.T, st *store.Store, n int) []string {
	t.Helper()
	ids, err := commitEntries(st, n)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func commitEntries(st *store.Store, n int) ([]string, error) {
	ids := make([]string, 0, n)
	for range n {
		at := time.Now()
		env, payload, err := event.New(event.Source("test-site", "test-box"), event.TypeEntry, at, map[string]any{"gate": "test-gate", "decision": "denied", "reason": "garbage"})
		if err != nil {
			return nil, err
		}
		e := store.Entry{ID: env.ID, At: at, Gate: "test-gate", Scanner: "test", Method: "unknown", Reason: "garbage"}
		if err := st.AddEntry(context.Background(), e, store.Event{ID: env.ID, Type: env.Type, Time: at, Payload: payload}); err != nil {
			return nil, err
		}
		ids = append(ids, env.ID)
	}
	return ids, nil
}

// waitDelivered waits until the city holds exactly the box's entries and
// the box's outbox is empty, then checks that each arrived once.
func (c *city) waitDelivered(t *testing.T, box *store.Store, timeout time.Duration) int {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(timeout)
	for {
		kept, err := box.EntryIDs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n, err := c.db.Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ob, err := box.Outbox(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if int(n) == len(kept) && ob.Pending == 0 {
			ids, err := c.db.IDs(ctx, event.Source("test-site", "test-box"))
			if err != nil {
				t.Fatal(err)
			}
			want := make([]string, 0, len(kept))
			for id := range kept {
				want = append(want, id)
			}
			slices.Sort(ids)
			slices.Sort(want)
			if !slices.Equal(ids, want) {
				t.Fatalf("the city holds %d ids, the box kept %d: the sets differ", len(ids), len(want))
			}
			return len(ids)
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: the box kept %d entries (%d not acknowledged), the city holds %d\nbroker log:\n%s", timeout, len(kept), ob.Pending, n, logbuf.Tail(c.broker.Log(), 20))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func openBoxStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, "roomgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestTenThousandEventsExactlyOnce: a backlog of 10,000 records reaches
// PostgreSQL, each once, and the box forgets them only then.
func TestTenThousandEventsExactlyOnce(t *testing.T) {
	c := newCity(t)
	dir := t.TempDir()
	link := socat.Pair(t, dir)
	cfg := c.boxConfig(t, dir, link.Device, newIssuer(t))
	box := openBoxStore(t, dir)
	produce(t, box, 10000)
	c.startIngest(t)
	startAgent(t, cfg)
	if n := c.waitDelivered(t, box, 2*time.Minute); n != 10000 {
		t.Errorf("delivered %d, want 10000", n)
	}
}

// TestBrokerOutage stops the broker for 30 s in the middle of a stream.
func TestBrokerOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 40 s")
	}
	c := newCity(t)
	dir := t.TempDir()
	link := socat.Pair(t, dir)
	cfg := c.boxConfig(t, dir, link.Device, newIssuer(t))
	box := openBoxStore(t, dir)
	c.startIngest(t)
	ra := startAgent(t, cfg)

	produced := 0
	stream := func(d time.Duration) {
		for end := time.Now().Add(d); time.Now().Before(end); {
			produced += len(produce(t, box, 5))
			time.Sleep(20 * time.Millisecond)
		}
	}
	stream(3 * time.Second)
	c.broker.Stop(t)
	stream(30 * time.Second)
	if ob, _ := box.Outbox(context.Background()); ob.Pending == 0 {
		t.Error("nothing waited in the outbox while the broker was down")
	}
	c.broker.Restart(t)
	stream(3 * time.Second)
	if n := c.waitDelivered(t, box, time.Minute); n != produced {
		t.Errorf("delivered %d, produced %d", n, produced)
	}
	if !strings.Contains(ra.logBuf.String(), "component=citylink") {
		t.Errorf("the link logged nothing about the outage:\n%s", logbuf.Tail(ra.logBuf.String(), 20))
	}
}

// TestIngestDown: with no city acks the box keeps resending; once ingest
// returns, the database holds each event once.
func TestIngestDown(t *testing.T) {
	c := newCity(t)
	dir := t.TempDir()
	link := socat.Pair(t, dir)
	cfg := c.boxConfig(t, dir, link.Device, newIssuer(t))
	box := openBoxStore(t, dir)
	ra := startAgent(t, cfg)
	produce(t, box, 500)
	deadline := time.Now().Add(20 * time.Second)
	for ra.status(t).Link.Resent == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no resend within 20 s without acks: %+v", ra.status(t).Link)
		}
		time.Sleep(200 * time.Millisecond)
	}
	c.startIngest(t)
	if n := c.waitDelivered(t, box, time.Minute); n != 500 {
		t.Errorf("delivered %d, want 500", n)
	}
}

// TestKill9WhileSyncing kills the agent binary 50 times at random moments
// while records are committed and sent: every committed record arrives once.
func TestKill9WhileSyncing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the agent binary 50 times")
	}
	c := newCity(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "roomgate")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/roomgate/roomgate/agent/cmd/roomgate").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	link := socat.Pair(t, dir)
	cfg := c.boxConfig(t, dir, link.Device, newIssuer(t))
	box := openBoxStore(t, dir)
	c.startIngest(t)

	stop := make(chan struct{})
	var produced sync.WaitGroup
	produced.Add(1)
	go func() {
		defer produced.Done()
		for {
			select {
			case <-stop:
				return
			default:
				if _, err := commitEntries(box, 10); err != nil {
					t.Error(err)
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
	}()
	run := func() *exec.Cmd {
		cmd := exec.Command(bin, "agent", "--config", cfg)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	const kills = 50
	for range kills {
		cmd := run()
		time.Sleep(time.Duration(100+rand.IntN(500)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	close(stop)
	produced.Wait()
	final := run()
	defer func() { final.Process.Signal(syscall.SIGTERM); final.Wait() }()
	n := c.waitDelivered(t, box, 2*time.Minute)
	t.Logf("%d kills; %d records committed on the box, each stored once in PostgreSQL", kills, n)
}
