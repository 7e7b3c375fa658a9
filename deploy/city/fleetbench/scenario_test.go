package fleetbench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/roomgate/roomgate/deploy/city/ingest/pgstore/pgstoretest"
	"github.com/roomgate/roomgate/internal/logbuf"
	"github.com/roomgate/roomgate/internal/mqtttest"
	"github.com/roomgate/roomgate/internal/procstat"
)

// scenario is one run of the fleet against a city of its own.
type scenario struct {
	name         string
	rooms, gates int
	// Live load: each room keeps checkins check-ins at random moments of
	// window, each gate an entry every gateEvery (both already divided by
	// the time scale).
	window    time.Duration
	checkins  int
	gateEvery time.Duration
	// Records each box holds in its outbox at the start, spread over
	// backlogSpan.
	roomBacklog, gateBacklog int
	backlogSpan              time.Duration
	restartAt                time.Duration // > 0: the broker restarts this far into the window
	ingests                  int
}

// result is one scenario's row and what the storm showed.
type result struct {
	sc           scenario
	events, live int
	elapsed      time.Duration // from the fleet's start until the city stored the last event
	acked        time.Duration // from the fleet's start until every box had every ack
	city         cityCount
	resent       int
	busy         int64 // records the box's store refused as locked, tried again
	use          map[string]usage
	connectedAll time.Duration // from start until every box was connected
	brokerDown   time.Duration // from the broker's stop until it accepted connections again
	stormBack    time.Duration // from then until every box had connected again
	stormRates   []int         // connections in each stormBucket after the restart
	setup        time.Duration // the broker, database, ingest, stores, certificates and backlogs
	load         string        // the machine's load averages at the end: other work on it shows here
}

// env is what every scenario of a run shares.
type env struct {
	bin string
	pg  *pgstoretest.Cluster
}

func newEnv(t testing.TB) *env {
	return &env{bin: buildCity(t), pg: pgstoretest.Start(t)}
}

// run runs sc and fails t unless the city holds every record exactly once
// and every box had its records acknowledged.
func (e *env) run(t testing.TB, sc scenario) result {
	t.Helper()
	ctx := context.Background()
	setupStart := time.Now()
	broker := mqtttest.Start(t)
	dsn := e.pg.DSN(t)
	var ingests []*ingestProc
	for _, cn := range ingestCNs[:sc.ingests] {
		ingests = append(ingests, startIngest(t, e.bin, broker, dsn, cn))
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	pm, err := postmaster(dsn)
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	led := &ledger{ids: map[string]bool{}}
	boxes := make([]*box, 0, sc.rooms+sc.gates)
	for i := range sc.rooms {
		boxes = append(boxes, newBox(t, broker, dir, fmt.Sprintf("room-%03d", i), fmt.Sprintf("site-%03d", i), true))
	}
	for i := range sc.gates {
		// Gates stand at the entrances of the bigger sites, one each.
		boxes = append(boxes, newBox(t, broker, dir, fmt.Sprintf("gate-%03d", i), fmt.Sprintf("site-%03d", i*max(1, sc.rooms/max(1, sc.gates))), false))
	}
	fillBacklogs(t, boxes, dir, sc, led)
	defer func() {
		for _, b := range boxes {
			b.halt()
		}
	}()

	m := startMeter(map[string]func() []int{
		"broker":   func() []int { return []int{broker.Pid()} },
		"ingest":   func() []int { return pidsOf(ingests) },
		"postgres": func() []int { return append(procstat.Children(pm), pm) },
		"fleet":    func() []int { return []int{os.Getpid()} },
	})
	r := result{sc: sc, setup: time.Since(setupStart)}
	start := time.Now()
	for _, b := range boxes {
		b.start()
	}
	conns := watchConnections(boxes)
	loadErr := make(chan error, 1)
	go func() { loadErr <- load(boxes, sc, led) }()
	var down time.Time
	if sc.restartAt > 0 {
		time.Sleep(time.Until(start.Add(sc.restartAt)))
		down, r.brokerDown, r.stormBack = restartBroker(t, broker, boxes)
	}
	if err := <-loadErr; err != nil {
		t.Fatalf("%s: a box could not keep a record: %v", sc.name, err)
	}

	// The city has everything when its table holds as many events as the
	// fleet kept; then every box must hear its acks.
	want := led.len()
	timeout := 5*time.Minute + time.Duration(want)*time.Millisecond
	for {
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n >= want {
			break
		}
		if time.Since(start) > timeout {
			t.Fatalf("%s: the city stored %d of %d events after %v\nbroker log:\n%s", sc.name, n, want, time.Since(start).Round(time.Second), logbuf.Tail(broker.Log(), 20))
		}
		time.Sleep(time.Second)
	}
	for _, b := range boxes {
		for {
			ob, err := b.st.Outbox(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if ob.Pending == 0 {
				break
			}
			if time.Since(start) > timeout {
				t.Fatalf("%s: %s still has %d events waiting for their ack", sc.name, b.name, ob.Pending)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	r.acked = time.Since(start)
	r.use = m.stop()
	seen := conns.stop()
	r.connectedAll = seen.allConnected(start, len(boxes))
	if !down.IsZero() {
		r.stormRates = seen.ratesAfter(down, r.brokerDown+r.stormBack)
	}
	for _, p := range ingests {
		n, err := p.stop()
		if err != nil {
			t.Fatal(err)
		}
		r.resent += n
	}
	r.city, err = countAtCity(ctx, conn, led, start)
	if err != nil {
		t.Fatal(err)
	}
	r.events, r.live, r.busy = want, led.live, led.busy.Load()
	if raw, err := os.ReadFile("/proc/loadavg"); err == nil {
		r.load = strings.Join(strings.Fields(string(raw))[:3], " ")
	}
	r.elapsed = r.city.lastStored.Sub(start)
	if r.city.lost != 0 || r.city.rows != r.city.distinct || r.city.extra != 0 || r.city.rows != want {
		t.Errorf("%s: the city holds %d rows (%d distinct ids) of the fleet's %d events: %d lost, %d not the fleet's",
			sc.name, r.city.rows, r.city.distinct, want, r.city.lost, r.city.extra)
	}
	return r
}

func pidsOf(ps []*ingestProc) []int {
	var out []int
	for _, p := range ps {
		out = append(out, p.cmd.Process.Pid)
	}
	return out
}

// fillBacklogs gives every box its outbox backlog, two boxes at a time.
func fillBacklogs(t testing.TB, boxes []*box, dir string, sc scenario, led *ledger) {
	t.Helper()
	if sc.roomBacklog == 0 && sc.gateBacklog == 0 {
		return
	}
	var wg sync.WaitGroup
	work := make(chan *box)
	errs := make(chan error, len(boxes))
	for range 2 {
		wg.Go(func() {
			for b := range work {
				n := sc.gateBacklog
				if b.room {
					n = sc.roomBacklog
				}
				ids, err := b.fillOutbox(filepath.Join(dir, b.name+".db"), n, sc.backlogSpan)
				if err != nil {
					errs <- fmt.Errorf("%s: %w", b.name, err)
					continue
				}
				led.add(false, ids...)
			}
		})
	}
	for _, b := range boxes {
		work <- b
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// load keeps every box's live records over the window: a room's check-ins
// at uniformly random moments, a gate's entries at a steady pace from a
// random phase.
func load(boxes []*box, sc scenario, led *ledger) error {
	if sc.window <= 0 {
		return nil
	}
	ctx := context.Background()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, len(boxes))
	for _, b := range boxes {
		var at []time.Duration
		if b.room {
			for range sc.checkins {
				at = append(at, rand.N(sc.window))
			}
			slices.Sort(at)
		} else {
			for d := rand.N(sc.gateEvery); d < sc.window; d += sc.gateEvery {
				at = append(at, d)
			}
		}
		wg.Go(func() {
			for _, d := range at {
				time.Sleep(time.Until(start.Add(d)))
				id, err := b.record(ctx)
				// A store that stayed locked past its busy timeout kept
				// nothing; the person tries again, and the run counts it.
				for tries := 1; err != nil && strings.Contains(err.Error(), "SQLITE_BUSY") && tries < 10; tries++ {
					led.busy.Add(1)
					time.Sleep(100 * time.Millisecond)
					id, err = b.record(ctx)
				}
				if err != nil {
					errs <- fmt.Errorf("%s: %w", b.name, err)
					return
				}
				led.add(true, id)
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// connSample is how many boxes were connected at a moment, and how many
// connections they had made in all.
type connSample struct {
	at                  time.Time
	connected, connects int
}

type connWatch struct {
	quit chan struct{}
	done chan connSamples
}

type connSamples []connSample

// watchConnections samples the boxes' links every 100 ms until stop.
func watchConnections(boxes []*box) *connWatch {
	w := &connWatch{quit: make(chan struct{}), done: make(chan connSamples, 1)}
	go func() {
		var out connSamples
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			s := connSample{at: time.Now()}
			for _, b := range boxes {
				st := b.link.Status()
				if st.Connected {
					s.connected++
				}
				s.connects += int(st.Connects)
			}
			out = append(out, s)
			select {
			case <-w.quit:
				w.done <- out
				return
			case <-t.C:
			}
		}
	}()
	return w
}

func (w *connWatch) stop() connSamples {
	close(w.quit)
	return <-w.done
}

// restartBroker restarts the broker under load and waits until every box
// has made a new connection: when it stopped, how long it was away and how
// long the boxes took to come back after it.
func restartBroker(t testing.TB, broker *mqtttest.Broker, boxes []*box) (down time.Time, away, back time.Duration) {
	t.Helper()
	before := make([]int64, len(boxes))
	for i, b := range boxes {
		before[i] = b.link.Status().Connects
	}
	down = time.Now()
	broker.Restart(t)
	up := time.Now()
	for i := 0; i < len(boxes); {
		if st := boxes[i].link.Status(); st.Connected && st.Connects > before[i] {
			i++
			continue
		}
		if time.Since(up) > 5*time.Minute {
			t.Fatalf("%s not connected again 5 minutes after the broker's restart", boxes[i].name)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return down, up.Sub(down), time.Since(up)
}

// allConnected returns how long after from every box was first seen
// connected, 0 if never.
func (s connSamples) allConnected(from time.Time, boxes int) time.Duration {
	for _, c := range s {
		if !c.at.Before(from) && c.connected == boxes {
			return c.at.Sub(from)
		}
	}
	return 0
}

// stormBucket is the resolution of the connection rate after a restart:
// the backoff's jitter spreads the first retries over one second.
const stormBucket = 250 * time.Millisecond

// ratesAfter returns the connections made in each stormBucket after from,
// for span.
func (s connSamples) ratesAfter(from time.Time, span time.Duration) []int {
	secs := int(span/stormBucket) + 1
	rates := make([]int, secs)
	prev := -1
	for _, c := range s {
		if c.at.Before(from) {
			prev = c.connects
			continue
		}
		if i := int(c.at.Sub(from) / stormBucket); i < secs && prev >= 0 {
			rates[i] += c.connects - prev
		}
		prev = c.connects
	}
	return rates
}

// printTable prints the scenarios' rows. CPU is in percent of one CPU over
// the time from the fleet's start until the last event was stored.
func printTable(out io.Writer, title string, rs []result) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "\n%s: GOMAXPROCS %d, %d CPUs\n", title, runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Fprintln(w, "scenario\tboxes\tingests\tevents\tlive\toffered/s\tstored/s\tp50 ms\tp99 ms\tall acked s\tall connected s\tbroker CPU%\tbroker RSS MiB\tingest CPU%\tingest RSS MiB\tpostgres CPU%\tfleet CPU%\tfleet RSS MiB\tbusy\tresent\tlost\tduplicated\tsetup s\tload avg\t")
	for _, r := range rs {
		secs := r.elapsed.Seconds()
		offered, p50, p99 := "-", "-", "-"
		if r.sc.window > 0 {
			offered = fmt.Sprintf("%.0f", float64(r.live)/r.sc.window.Seconds())
			p50, p99 = fmt.Sprint(r.city.p50.Milliseconds()), fmt.Sprint(r.city.p99.Milliseconds())
		}
		pct := func(k string) string { return fmt.Sprintf("%.0f", 100*r.use[k].cpu.Seconds()/secs) }
		mib := func(k string) string { return fmt.Sprintf("%.0f", float64(r.use[k].rssMax)/(1<<20)) }
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%s\t%.0f\t%s\t%s\t%.0f\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%.0f\t%s\t\n",
			r.sc.name, r.sc.rooms+r.sc.gates, r.sc.ingests, r.events, r.live, offered, float64(r.events)/secs, p50, p99,
			r.acked.Seconds(), r.connectedAll.Seconds(), pct("broker"), mib("broker"), pct("ingest"), mib("ingest"), pct("postgres"), pct("fleet"), mib("fleet"),
			r.busy, r.resent, r.city.lost, r.city.rows-r.city.distinct+r.city.extra, r.setup.Seconds(), r.load)
	}
	w.Flush()
	for _, r := range rs {
		if r.stormRates == nil {
			continue
		}
		var s []string
		peak, total := 0, 0
		for _, n := range r.stormRates {
			s = append(s, fmt.Sprint(n))
			peak = max(peak, n)
			total += n
		}
		// The total is printed because this line comes again in the table of
		// every scenario: adding up the output counted each connection twice.
		fmt.Fprintf(out, "%s: the broker was away %.1f s; every box connected again %.1f s after it was back; %d connections by %d boxes, in each %v from its stop: %s (peak %.0f/s)\n",
			r.sc.name, r.brokerDown.Seconds(), r.stormBack.Seconds(), total, r.sc.rooms+r.sc.gates, stormBucket, strings.Join(s, " "), float64(peak)/stormBucket.Seconds())
	}
}
