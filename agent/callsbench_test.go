package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"golang.org/x/sys/unix"

	"github.com/roomgate/roomgate/agent/event"
	"github.com/roomgate/roomgate/deploy/city/ingest"
	"github.com/roomgate/roomgate/deploy/city/ingest/pgstore"
	"github.com/roomgate/roomgate/devices/terminal/poly/polysim"
	"github.com/roomgate/roomgate/internal/logbuf"
	"github.com/roomgate/roomgate/internal/socat"
	"github.com/roomgate/roomgate/kiosk"
)

// callsBenchEnv sets how many calls BenchmarkCallConnected times; the
// default keeps a CI run short.
const (
	callsBenchEnv     = "ROOMGATE_CALLS_BENCH_N"
	defaultBenchCalls = 15
)

// The targets for the terminal's "connected" line.
const (
	kioskTarget = 300 * time.Millisecond // p95, to the kiosk
	cityTarget  = 2 * time.Second        // to the city's database, broker up
)

// benchWait bounds each wait of the benchmark for the next step.
const benchWait = 30 * time.Second

// BenchmarkCallConnected times the room's terminal saying a call is
// connected to what the kiosk page and the city's database show, over real
// parts: a simulated Poly on a socat pty, the agent's whole System, its
// kiosk server read as a browser reads it (the event stream, then
// /api/status on each change), Mosquitto with TLS and ACLs, ingest and
// PostgreSQL. Each call: the box dials the meeting's bridge, the far end
// answers when the benchmark says (the instant polysim writes its
// connected line is the start), and then drops, so the box redials. Use
// -benchtime 1x:
//
//	go test -run '^$' -bench CallConnected -benchtime 1x ./agent/
//	ROOMGATE_CALLS_BENCH_N=300 go test -run '^$' -bench CallConnected -benchtime 1x ./agent/
func BenchmarkCallConnected(b *testing.B) {
	n := positiveEnv(b, callsBenchEnv, defaultBenchCalls, "calls")
	c := newCity(b)
	committed := make(chan callCommit, 256)
	c.startIngestTo(b, &timedStore{Store: c.db, committed: committed})

	dir := b.TempDir()
	scanner := socat.Pair(b, dir)
	lineDir := filepath.Join(dir, "terminal-line")
	if err := os.Mkdir(lineDir, 0o700); err != nil {
		b.Fatal(err)
	}
	line := socat.Pair(b, lineDir)
	written := make(chan time.Time, 16)
	sim := &polysim.Terminal{
		Outcome: func(string) polysim.Outcome { return polysim.NoAnswer },
		OnWrite: func(text string) {
			// The notifications of a call connecting, not a callinfo reply
			// to the driver's poll, which shows connected calls too.
			if strings.Contains(text, "state[COMPLETE]") || strings.Contains(text, "notification:callstatus:") && strings.Contains(text, ":connected:") {
				select {
				case written <- time.Now():
				default:
				}
			}
		},
	}
	serveOnLine(b, sim, line.Host)

	cfg := c.boxConfig(b, dir, scanner.Device, newIssuer(b))
	addRoom(b, cfg, "bridge-7@city.example", fmt.Sprintf("{name: room-poly, kind: poly, port: %q, calls: {retry_min: 1s, retry_max: 1s, redial_on_drop: true}}", line.Device))
	ra := startAgent(b, cfg)
	page := watchKiosk(b, "http://"+ra.addr.String())

	var toKiosk, toCity []time.Duration
	b.ResetTimer()
	for range b.N {
		for i := range n {
			fail := func(format string, args ...any) {
				b.Helper()
				b.Fatalf("call %d: %s\nagent log:\n%s", i+1, fmt.Sprintf(format, args...), logbuf.Tail(ra.logBuf.String(), 30))
			}
			if _, err := page.wait(kiosk.CallDialling); err != nil {
				fail("%v", err)
			}
			for len(written) > 0 {
				<-written
			}
			// The kiosk shows dialling as the box sends the dial; the far
			// end answers once it rings.
			deadline := time.Now().Add(benchWait)
			answered := sim.Answer()
			for ; answered == 0 && time.Now().Before(deadline); answered = sim.Answer() {
				time.Sleep(2 * time.Millisecond)
			}
			if answered != 1 {
				fail("the simulated Poly answered %d calls, want the box's one", answered)
			}
			var start time.Time
			select {
			case start = <-written:
			case <-time.After(benchWait):
				fail("polysim wrote no connected line within %v", benchWait)
			}
			shown, err := page.wait(kiosk.CallConnected)
			if err != nil {
				fail("%v", err)
			}
			stored, err := waitCommitted(committed, start)
			if err != nil {
				fail("%v", err)
			}
			toKiosk = append(toKiosk, shown.Sub(start))
			toCity = append(toCity, stored.Sub(start))
			sim.Drop(41) // a temporary failure: the box redials after retry_min, 1 s less jitter
		}
	}
	b.StopTimer()
	kp, cp := percentiles(toKiosk), percentiles(toCity)
	b.ReportMetric(float64(kp[1].Microseconds())/1000, "kiosk-p95-ms")
	b.ReportMetric(float64(cp[1].Microseconds())/1000, "city-p95-ms")
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "\nterminal's connected line → kiosk and city database, %d calls, GOMAXPROCS %d, %d CPUs\n", len(toKiosk), runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Fprintln(w, "to\tp50 ms\tp95 ms\tp99 ms\tmax ms\ttarget\tmet\t")
	row := func(name string, p [4]time.Duration, target string, met bool) {
		ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) }
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%v\t\n", name, ms(p[0]), ms(p[1]), ms(p[2]), ms(p[3]), target, met)
	}
	row("kiosk (event stream, then /api/status)", kp, "p95 ≤ 300 ms", kp[1] <= kioskTarget)
	row("city database (row committed)", cp, "all ≤ 2 s", cp[3] <= cityTarget)
	w.Flush()
}

// serveOnLine serves sim on the host end of a socat pair, the terminal's
// side of its serial line.
func serveOnLine(b *testing.B, sim *polysim.Terminal, host string) {
	f, err := os.OpenFile(host, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		sim.Serve(ctx, f)
	}()
	b.Cleanup(func() { cancel(); <-done })
}

// percentiles are p50, p95, p99 and the maximum of ds, nearest rank.
func percentiles(ds []time.Duration) [4]time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := func(q float64) time.Duration {
		i := int(float64(len(s))*q+0.999999) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	return [4]time.Duration{rank(0.50), rank(0.95), rank(0.99), s[len(s)-1]}
}

// callCommit is a call record the city's database committed, and when.
type callCommit struct {
	state string
	at    time.Time // the record's time, the box's clock (this machine's)
	done  time.Time
}

// timedStore is the city's database, noting when each new call record is
// committed: when Save returns, its transaction has.
type timedStore struct {
	*pgstore.Store
	committed chan<- callCommit
}

func (s *timedStore) Save(ctx context.Context, batch ingest.Batch) (ingest.Saved, error) {
	saved, err := s.Store.Save(ctx, batch)
	done := time.Now()
	if err != nil || saved.Stored == 0 {
		return saved, err
	}
	for _, e := range batch.Events {
		if e.Type != event.TypeCall {
			continue
		}
		var c struct {
			State string    `json:"state"`
			At    time.Time `json:"at"`
		}
		if json.Unmarshal(e.Data, &c) == nil {
			select {
			case s.committed <- callCommit{state: c.State, at: c.At, done: done}:
			default:
			}
		}
	}
	return saved, nil
}

// waitCommitted waits for the connected record of the call answered at
// start to be committed, and returns when it was.
func waitCommitted(committed <-chan callCommit, start time.Time) (time.Time, error) {
	timeout := time.After(benchWait)
	for {
		select {
		case c := <-committed:
			if c.state == kiosk.CallConnected && !c.at.Before(start) {
				return c.done, nil
			}
		case <-timeout:
			return time.Time{}, fmt.Errorf("the connected record not committed in the city's database within %v", benchWait)
		}
	}
}

// kioskPage follows the call as the kiosk page does: on every "change" on
// the event stream it fetches /api/status.
type kioskPage struct {
	shown chan pageCall
}

// pageCall is a call state the page showed, and when it had it.
type pageCall struct {
	state string
	at    time.Time
}

func watchKiosk(b *testing.B, base string) *kioskPage {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/api/events", nil)
	if err != nil {
		b.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET /api/events: %s", resp.Status)
	}
	p := &kioskPage{shown: make(chan pageCall, 1024)}
	last := ""
	refetch := func() {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/status", nil)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			return
		}
		defer r.Body.Close()
		var snap kiosk.Snapshot
		if json.NewDecoder(r.Body).Decode(&snap) != nil || snap.Call == nil {
			return
		}
		if at := time.Now(); snap.Call.State != last {
			last = snap.Call.State
			p.shown <- pageCall{snap.Call.State, at}
		}
	}
	go func() {
		defer resp.Body.Close()
		refetch() // the page's first load
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if sc.Text() == "event: change" {
				refetch()
			}
		}
	}()
	return p
}

// wait waits until the page shows state and returns when it did.
func (p *kioskPage) wait(state string) (time.Time, error) {
	timeout := time.After(benchWait)
	for {
		select {
		case c := <-p.shown:
			if c.state == state {
				return c.at, nil
			}
		case <-timeout:
			return time.Time{}, fmt.Errorf("the kiosk page did not show the call %s within %v", state, benchWait)
		}
	}
}

// positiveEnv is the whole number the environment variable name gives a
// benchmark, def without it; anything but a positive number stops it.
func positiveEnv(b *testing.B, name string, def int, what string) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 {
		b.Fatalf("%s=%q: want a positive number of %s", name, s, what)
	}
	return v
}
