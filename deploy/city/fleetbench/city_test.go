package fleetbench

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/roomgate/roomgate/internal/logbuf"
	"github.com/roomgate/roomgate/internal/mqtttest"
	"github.com/roomgate/roomgate/internal/procstat"
)

// ingestCNs are the certificates the shipped ACL gives ingest's rights.
var ingestCNs = []string{"city-ingest", "city-ingest-2", "city-ingest-3", "city-ingest-4"}

// buildCity builds roomgate-city, as the city runs it.
func buildCity(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "roomgate-city")
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if out, err := exec.Command(goTool, "build", "-o", bin, "github.com/roomgate/roomgate/deploy/city/cmd/roomgate-city").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// ingestProc is one `roomgate-city ingest` process.
type ingestProc struct {
	cmd    *exec.Cmd
	log    *logbuf.Buffer
	exited chan struct{}
}

// startIngest starts ingest as cn on dsn and waits until it is connected.
func startIngest(t testing.TB, bin string, broker *mqtttest.Broker, dsn, cn string) *ingestProc {
	t.Helper()
	certFile, keyFile := broker.ClientCert(t, cn)
	p := &ingestProc{log: &logbuf.Buffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, "ingest", "-broker", broker.URL, "-ca", broker.CAFile, "-cert", certFile, "-key", keyFile, "-db", dsn, "-every", "0")
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { p.stop() })
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(p.log.String(), "msg=connected"); time.Sleep(20 * time.Millisecond) {
		select {
		case <-p.exited:
			t.Fatalf("%s exited: %v\n%s", cn, p.cmd.ProcessState, p.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not connected within 30s:\n%s", cn, p.log.String())
		}
	}
	return p
}

var duplicatesRe = regexp.MustCompile(`msg=stopped .*\bduplicates=(\d+)`)

// stop stops ingest with SIGTERM and returns how many events it was sent
// again that it had stored already (its last log line counts them).
func (p *ingestProc) stop() (resent int, err error) {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
		return 0, fmt.Errorf("ingest did not stop within 30s of SIGTERM")
	}
	m := duplicatesRe.FindStringSubmatch(p.log.String())
	if m == nil {
		return 0, fmt.Errorf("ingest logged no stop line:\n%s", logbuf.Tail(p.log.String(), 20))
	}
	return strconv.Atoi(m[1])
}

// postmaster finds the PostgreSQL server listening on the DSN's port: the
// process running postgres -D DIR whose DIR/postmaster.pid names the port.
func postmaster(dsn string) (int, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return 0, err
	}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		raw, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		args := strings.Split(string(raw), "\x00")
		if filepath.Base(args[0]) != "postgres" {
			continue
		}
		for i, a := range args[:len(args)-1] {
			if a != "-D" {
				continue
			}
			pidFile, err := os.ReadFile(filepath.Join(args[i+1], "postmaster.pid"))
			// Its lines: pid, data directory, start time, port, ...
			if l := strings.Split(string(pidFile), "\n"); err == nil && len(l) > 3 && l[0] == strconv.Itoa(pid) && l[3] == u.Port() {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("no postgres process serves port %s", u.Port())
}

// usage is what a set of processes took between two readings.
type usage struct {
	cpu    time.Duration
	rssMax int64 // bytes, the highest sum of their RSS sampled
}

// meter samples the broker, ingest, PostgreSQL and this process (the
// fleet) until stop.
type meter struct {
	procs map[string]func() []int // what to measure: its processes now
	quit  chan struct{}
	done  chan map[string]usage
}

// cpuOf is the CPU time of pids; with the postmaster it adds its exited
// backends.
func cpuOf(pids []int) time.Duration {
	var sum time.Duration
	for _, p := range pids {
		used, reaped, err := procstat.CPU(p)
		if err == nil {
			sum += used + reaped
		}
	}
	return sum
}

func startMeter(procs map[string]func() []int) *meter {
	m := &meter{procs: procs, quit: make(chan struct{}), done: make(chan map[string]usage, 1)}
	start := map[string]time.Duration{}
	for k, f := range procs {
		start[k] = cpuOf(f())
	}
	go func() {
		out := map[string]usage{}
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			for k, f := range m.procs {
				var rss int64
				for _, p := range f() {
					if r, _, err := procstat.Memory(p); err == nil {
						rss += r
					}
				}
				u := out[k]
				u.rssMax = max(u.rssMax, rss)
				out[k] = u
			}
			select {
			case <-m.quit:
				for k, f := range m.procs {
					u := out[k]
					u.cpu = cpuOf(f()) - start[k]
					out[k] = u
				}
				m.done <- out
				return
			case <-t.C:
			}
		}
	}()
	return m
}

func (m *meter) stop() map[string]usage {
	close(m.quit)
	return <-m.done
}

// cityCount is what PostgreSQL holds at the end of a scenario.
type cityCount struct {
	rows, distinct int
	lost, extra    int
	p50, p99       time.Duration // record to commit, of the events kept during the run
	lastStored     time.Time
}

// countAtCity compares the events table with the ledger.
func countAtCity(ctx context.Context, conn *pgx.Conn, led *ledger, since time.Time) (cityCount, error) {
	var c cityCount
	rows, err := conn.Query(ctx, `SELECT id FROM events`)
	if err != nil {
		return c, err
	}
	seen := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return c, err
		}
		c.rows++
		seen[id] = true
	}
	if err := rows.Err(); err != nil {
		return c, err
	}
	c.distinct = len(seen)
	led.mu.Lock()
	for id := range led.ids {
		if !seen[id] {
			c.lost++
		}
	}
	for id := range seen {
		if !led.ids[id] {
			c.extra++
		}
	}
	led.mu.Unlock()
	// received_at is now() of ingest's transaction, which commits within
	// milliseconds of it.
	var p50, p99 *float64
	err = conn.QueryRow(ctx, `SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY lat), percentile_disc(0.99) WITHIN GROUP (ORDER BY lat)
		FROM (SELECT extract(epoch FROM received_at - time) AS lat FROM events WHERE time >= $1) l`, since).Scan(&p50, &p99)
	if err != nil {
		return c, err
	}
	if p50 != nil {
		c.p50, c.p99 = time.Duration(*p50*float64(time.Second)), time.Duration(*p99*float64(time.Second))
	}
	err = conn.QueryRow(ctx, `SELECT coalesce(max(received_at), now()) FROM events`).Scan(&c.lastStored)
	return c, err
}
