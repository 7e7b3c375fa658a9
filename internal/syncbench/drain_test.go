package syncbench

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/roomgate/roomgate/agent/event"
	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/deploy/city/ingest"
	"github.com/roomgate/roomgate/deploy/city/ingest/pgstore/pgstoretest"
	"github.com/roomgate/roomgate/deploy/city/mqttclient"
	"github.com/roomgate/roomgate/internal/logbuf"
	"github.com/roomgate/roomgate/internal/mqtttest"
	"github.com/roomgate/roomgate/internal/procstat"
)

// eventsEnv sets the backlog size; the default keeps a run short enough for
// CI, the figure is 1,000,000.
const (
	eventsEnv     = "ROOMGATE_SYNC_BENCH_EVENTS"
	defaultEvents = 20_000
)

const (
	site       = "bench-site"
	rawWindow  = 256 // outstanding PUBACKs of the raw baseline, as PLATFORM.md measured
	sampleRSS  = 100 * time.Millisecond
	stopWithin = 10 * time.Second
)

// grid is the agent's batch size × window, one row each.
var grid = []struct{ batch, window int }{
	{100, 8}, {100, 32}, {500, 8}, {500, 32}, {1000, 8}, {1000, 32},
}

// result is one row of the table.
type result struct {
	name        string
	events      int
	elapsed     time.Duration
	first       time.Duration // agent rows: from its start until the city stored an event
	rssMax, hwm int64         // KiB; agent rows only
	agentCPU    time.Duration
	cityCPU     time.Duration // this process: ingest and its PostgreSQL client
	redelivered uint64        // events ingest had stored already (resends)
	agent       bool
}

func (r result) rate() float64 { return float64(r.events) / r.elapsed.Seconds() }

// BenchmarkSyncDrain drains a backlog from the agent's outbox (the real
// binary) through Mosquitto over TLS into ingest and PostgreSQL, with city
// acks, for each batch size and window; and, before and after the grid,
// raw paho publishing the same kind of events one per message at QoS 1.
// Each case runs once per b.N; use -benchtime 1x:
//
//	go test -run '^$' -bench SyncDrain -benchtime 1x ./internal/syncbench/
//	ROOMGATE_SYNC_BENCH_EVENTS=1000000 go test -run '^$' -bench SyncDrain -benchtime 1x -timeout 60m ./internal/syncbench/
func BenchmarkSyncDrain(b *testing.B) {
	n := defaultEvents
	if s := os.Getenv(eventsEnv); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			b.Fatalf("%s=%q: want a positive number of events", eventsEnv, s)
		}
		n = v
	}
	broker := mqtttest.Start(b)
	pg := pgstoretest.Start(b)
	bin := buildAgent(b)

	var rows []result
	raw := func(name string) {
		b.Run(name, func(b *testing.B) {
			device := "bench-raw"
			payloads := make([][]byte, n)
			for i := range payloads {
				_, payloads[i] = newEvent(b, device)
			}
			r := result{name: b.Name()}
			b.ResetTimer()
			for range b.N {
				r.elapsed += rawPublish(b, broker, device, payloads)
				r.events += n
			}
			b.ReportMetric(r.rate(), "events/s")
			rows = append(rows, r)
		})
	}
	raw("paho-raw/before")
	for _, c := range grid {
		b.Run(fmt.Sprintf("agent/batch=%d/window=%d", c.batch, c.window), func(b *testing.B) {
			device := fmt.Sprintf("bench-box-b%d-w%d", c.batch, c.window)
			r := result{name: b.Name(), agent: true}
			b.StopTimer()
			for range b.N {
				d := drain(b, broker, pg, bin, device, n, c.batch, c.window)
				r.events += d.events
				r.elapsed += d.elapsed
				r.first = max(r.first, d.first)
				r.rssMax, r.hwm = max(r.rssMax, d.rssMax), max(r.hwm, d.hwm)
				r.agentCPU += d.agentCPU
				r.cityCPU += d.cityCPU
				r.redelivered += d.redelivered
			}
			b.ReportMetric(r.rate(), "events/s")
			b.ReportMetric(float64(r.hwm)/1024, "agent-hwm-MiB")
			rows = append(rows, r)
		})
	}
	raw("paho-raw/after")
	printTable(n, rows)
}

// buildAgent builds the roomgate binary, as a box runs it.
func buildAgent(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "roomgate")
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if out, err := exec.Command(goTool, "build", "-o", bin, "github.com/roomgate/roomgate/agent/cmd/roomgate").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// newEvent returns an entry event of about 500 bytes from device, as
// agent/citylink's drain benchmark makes them.
func newEvent(b *testing.B, device string) (id string, payload []byte) {
	data := map[string]any{"gate": "main-entrance", "scanner": "front", "method": "pass", "granted": true,
		"pass_id": "p-0192d1c2", "subject": "visitor-42", "name": strings.Repeat("Nguyễn Văn A ", 4), "host": "Office of the Mayor"}
	env, payload, err := event.New(event.Source(site, device), event.TypeEntry, time.Now(), data)
	if err != nil {
		b.Fatal(err)
	}
	return env.ID, payload
}

// rawPublish publishes each payload as its own QoS 1 message with paho's
// memory store, keeping at most rawWindow PUBACKs outstanding, and returns
// the time until the last PUBACK. The state topic is one the ACL lets a
// box write and nobody subscribes to: on the events topic ingest would take
// them as malformed batches.
func rawPublish(b *testing.B, broker *mqtttest.Broker, device string, payloads [][]byte) time.Duration {
	b.Helper()
	opts := mqtt.NewClientOptions().
		AddBroker(broker.URL).
		SetClientID(device).
		SetTLSConfig(broker.TLSConfig(b, device)).
		SetCleanSession(true).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetStore(mqtt.NewMemoryStore()).
		SetConnectTimeout(10 * time.Second)
	c := mqtt.NewClient(opts)
	if err := waitToken(c.Connect()); err != nil {
		b.Fatalf("raw paho: connect: %v", err)
	}
	defer c.Disconnect(250)
	topic := wire.Topic(device, wire.LeafState)
	// A ring of tokens: before reusing a slot, wait for its PUBACK. The
	// broker acks in order, so this waits on the oldest one.
	ring := make([]mqtt.Token, rawWindow)
	start := time.Now()
	for i, p := range payloads {
		if tok := ring[i%rawWindow]; tok != nil {
			if err := waitToken(tok); err != nil {
				b.Fatalf("raw paho: publish: %v", err)
			}
		}
		ring[i%rawWindow] = c.Publish(topic, 1, false, p)
	}
	for _, tok := range ring {
		if tok != nil {
			if err := waitToken(tok); err != nil {
				b.Fatalf("raw paho: publish: %v", err)
			}
		}
	}
	return time.Since(start)
}

func waitToken(tok mqtt.Token) error {
	if !tok.WaitTimeout(30 * time.Second) {
		return fmt.Errorf("no answer within 30s")
	}
	return tok.Error()
}

// drain makes a backlog of n events in a new box store, starts ingest on a
// new database and then the agent binary, and times the agent from its
// start until its outbox has nothing pending. It fails unless PostgreSQL
// then holds exactly the backlog's events.
func drain(b *testing.B, broker *mqtttest.Broker, pg *pgstoretest.Cluster, bin, device string, n, batch, window int) result {
	b.Helper()
	ctx := context.Background()
	dir := b.TempDir()
	dbPath := filepath.Join(dir, "roomgate.db")
	ids := backlog(b, dbPath, device, n)
	box, err := store.Open(dbPath)
	if err != nil {
		b.Fatal(err)
	}
	defer box.Close()
	cfg := writeConfig(b, broker, dir, device, batch, window)

	db := pg.Open(b)
	in, stopIngest := startIngest(b, broker, db)
	defer stopIngest()

	var logBuf logbuf.Buffer
	cmd := exec.Command(bin, "agent", "--config", cfg)
	cmd.Stdout, cmd.Stderr = &logBuf, &logBuf
	var before syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	b.StartTimer()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(stopWithin):
			cmd.Process.Kill()
			<-exited
			b.Errorf("the agent did not stop within %v of SIGTERM", stopWithin)
		}
	}()
	samples := sampleMemory(cmd.Process.Pid)

	timeout := 2*time.Minute + time.Duration(n)*time.Millisecond
	fail := func(format string, args ...any) {
		b.Helper()
		b.Fatalf("%s after %v: %s\nagent log:\n%s", device, time.Since(start).Round(time.Millisecond), fmt.Sprintf(format, args...), logbuf.Tail(logBuf.String(), 30))
	}
	// Ingest's counter is free to read; the box's outbox count is a scan of
	// the whole table, so it is asked only once the city has everything.
	var first time.Duration
	for in.Stats().Stored < uint64(n) {
		if first == 0 && in.Stats().Stored > 0 {
			first = time.Since(start)
		}
		select {
		case <-exited:
			fail("the agent exited: %v", cmd.ProcessState)
		case <-time.After(2 * time.Millisecond):
		}
		if time.Since(start) > timeout {
			fail("the city stored %d of %d events", in.Stats().Stored, n)
		}
	}
	var end time.Time
	for {
		// The count reads a snapshot taken as it starts, so nothing was
		// pending at about at; the previous count saw some.
		at := time.Now()
		ob, err := box.Outbox(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if ob.Pending == 0 {
			end = at
			break
		}
		if time.Since(start) > timeout {
			fail("%d events still pending on the box", ob.Pending)
		}
		time.Sleep(2 * time.Millisecond)
	}
	b.StopTimer()
	mem := samples.stop()
	var after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	r := result{
		events: n, elapsed: end.Sub(start), first: first, rssMax: mem.rssMax, hwm: mem.hwm, agentCPU: mem.cpu,
		cityCPU: cpuTime(after) - cpuTime(before), redelivered: in.Stats().Duplicates,
	}

	// Exactly once: PostgreSQL (a database of this case's own) holds n
	// events, and they are the backlog's ids.
	if got, err := db.Count(ctx); err != nil || got != int64(n) {
		b.Fatalf("%s: PostgreSQL holds %d events (%v), want %d", device, got, err, n)
	}
	stored, err := db.IDs(ctx, event.Source(site, device))
	if err != nil {
		b.Fatal(err)
	}
	slices.Sort(ids)
	if !slices.Equal(stored, ids) {
		b.Fatalf("%s: PostgreSQL holds %d ids from the box, the backlog had %d: the sets differ", device, len(stored), len(ids))
	}
	if st := in.Stats(); st.Malformed != 0 || st.Rejected != 0 {
		b.Errorf("%s: ingest Stats() = %+v, want nothing malformed or rejected", device, st)
	}
	return r
}

// backlog writes n events from device into a new box store at path, in one
// transaction: what a box that was offline holds. The gate writes them one
// by one; that is measured elsewhere.
func backlog(b *testing.B, path, device string, n int) []string {
	b.Helper()
	st, err := store.Open(path) // the schema
	if err != nil {
		b.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	ins, err := tx.Prepare(`INSERT INTO outbox(id, type, created_ns, payload) VALUES (?, ?, ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, 0, n)
	for range n {
		id, payload := newEvent(b, device)
		if _, err := ins.Exec(id, event.TypeEntry, time.Now().UnixNano(), payload); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return ids
}

// writeConfig writes the box's config: no scanners, no status page, the
// shipped sync defaults but for the batch and window under test. Batches
// are bounded by count, not bytes: 1000 events of 500 bytes pass the
// default 256 KiB.
func writeConfig(b *testing.B, broker *mqtttest.Broker, dir, device string, batch, window int) string {
	b.Helper()
	certFile, keyFile := broker.ClientCert(b, device)
	yaml := fmt.Sprintf(`identity: {site: %s, gate: bench-gate, device: %s}
board: sim
policy: {clock_source: trusted}
store: {path: roomgate.db}
http: {listen: ""}
sync:
  broker: %s
  ca_file: %s
  cert_file: %s
  key_file: %s
  batch_events: %d
  batch_bytes: %d
  window: %d
`, site, device, broker.URL, broker.CAFile, certFile, keyFile, batch, wire.MaxEventsSize, window)
	path := filepath.Join(dir, "roomgate.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

// startIngest runs ingest on db until stop. Every case uses the same client
// id: a persistent session left behind under another id would keep its
// place in the shared subscription and be handed messages nobody reads.
func startIngest(b *testing.B, broker *mqtttest.Broker, db ingest.Store) (*ingest.Ingester, func()) {
	b.Helper()
	certFile, keyFile := broker.ClientCert(b, "city-ingest")
	connected := make(chan struct{}, 1)
	in := ingest.New(ingest.Config{
		MQTT:      mqttclient.Config{Broker: broker.URL, CAFile: broker.CAFile, CertFile: certFile, KeyFile: keyFile, ClientID: "bench-ingest"},
		Store:     db,
		OnConnect: func() { connected <- struct{}{} },
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx) }()
	select {
	case <-connected:
	case err := <-done:
		b.Fatalf("ingest: %v", err)
	case <-time.After(15 * time.Second):
		b.Fatal("ingest not connected within 15s")
	}
	return in, func() { cancel(); <-done }
}

// memory is what sampleMemory saw of a process.
type memory struct {
	rssMax, hwm int64 // KiB
	cpu         time.Duration
}

type sampler struct {
	pid  int
	quit chan struct{}
	done chan memory
}

// sampleMemory reads the process's VmRSS every sampleRSS until stop, which
// adds the kernel's peak (VmHWM) and the CPU time it used.
func sampleMemory(pid int) *sampler {
	s := &sampler{pid: pid, quit: make(chan struct{}), done: make(chan memory, 1)}
	go func() {
		var m memory
		t := time.NewTicker(sampleRSS)
		defer t.Stop()
		for {
			if rss, _, err := procStatus(pid); err == nil {
				m.rssMax = max(m.rssMax, rss)
			}
			select {
			case <-s.quit:
				s.done <- m
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *sampler) stop() memory {
	close(s.quit)
	m := <-s.done
	if rss, hwm, err := procStatus(s.pid); err == nil {
		m.rssMax, m.hwm = max(m.rssMax, rss), hwm
	}
	m.cpu, _, _ = procstat.CPU(s.pid)
	return m
}

// procStatus reads VmRSS and VmHWM in KiB, as the table shows them.
func procStatus(pid int) (rss, hwm int64, err error) {
	rss, hwm, err = procstat.Memory(pid)
	return rss >> 10, hwm >> 10, err
}

func cpuTime(r syscall.Rusage) time.Duration {
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}

// printTable prints every row beside the faster of the two raw runs, so
// the ratio errs low when the machine's speed drifted during the run.
func printTable(n int, rows []result) {
	var raw float64
	for _, r := range rows {
		if !r.agent {
			raw = max(raw, r.rate())
		}
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "\nsync drain of %d events per case, GOMAXPROCS %d, %d CPUs\n", n, runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Fprintln(w, "case\tevents\tseconds\tevents/s\t× raw\tfirst stored ms\tagent RSS max MiB\tagent HWM MiB\tagent CPU s\tcity CPU s\tredelivered\t")
	for _, r := range rows {
		name := strings.TrimPrefix(r.name, "BenchmarkSyncDrain/")
		ratio := "-"
		if raw > 0 {
			ratio = fmt.Sprintf("%.2f", r.rate()/raw)
		}
		if !r.agent {
			fmt.Fprintf(w, "%s\t%d\t%.2f\t%.0f\t%s\t-\t-\t-\t-\t-\t-\t\n", name, r.events, r.elapsed.Seconds(), r.rate(), ratio)
			continue
		}
		fmt.Fprintf(w, "%s\t%d\t%.2f\t%.0f\t%s\t%d\t%.1f\t%.1f\t%.2f\t%.2f\t%d\t\n", name, r.events, r.elapsed.Seconds(), r.rate(), ratio, r.first.Milliseconds(),
			float64(r.rssMax)/1024, float64(r.hwm)/1024, r.agentCPU.Seconds(), r.cityCPU.Seconds(), r.redelivered)
	}
	w.Flush()
}
