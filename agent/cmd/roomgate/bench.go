package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/roomgate/roomgate/agent"
	"github.com/roomgate/roomgate/agent/pass"
	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/devices/door"
	"github.com/roomgate/roomgate/devices/door/doortest"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/internal/procstat"
	"github.com/roomgate/roomgate/internal/pty"
)

// runBenchGate measures, on this machine's disk, the time from the last byte
// of a scan written to a pseudo-terminal to the relay line being set (serial
// framing, pass verification, the durable SQLite write), beside a bare
// synchronous=FULL insert and a bare Ed25519 verification in the same run;
// then the agent as its own process: time to ready and memory after n scans.
func runBenchGate(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("roomgate bench gate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 10000, "scans per measurement")
	dir := fs.String("dir", "", "folder for the benchmark's databases (default: a new temporary folder); put it on the box's real storage")
	binary := fs.String("binary", "", "roomgate binary to measure as a process (default: this one)")
	if err := fs.Parse(args); err != nil || *n < 1 {
		return errUsage
	}
	if *dir == "" {
		tmp, err := os.MkdirTemp("", "roomgate-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		*dir = tmp
	}
	if *binary == "" {
		self, err := os.Executable()
		if err != nil {
			return err
		}
		*binary = self
	}
	b, err := newGateBench(*dir, *n)
	if err != nil {
		return err
	}
	progress := func(what string) { fmt.Fprintf(stderr, "bench: %s (%d)…\n", what, *n) }

	progress("scan to relay, bare insert and bare verify, interleaved")
	scanToRelay, bareInsert, bareVerify, err := b.sideBySide()
	if err != nil {
		return err
	}
	progress("agent process")
	proc, err := b.agentProcess(*binary)
	if err != nil {
		return fmt.Errorf("agent process: %w", err)
	}

	p := func(d []time.Duration, q float64) time.Duration { return percentile(d, q) }
	sum := func(q float64) time.Duration { return p(bareInsert, q) + p(bareVerify, q) }
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "measure (n=%d)\tp50\tp99\tmax\t\n", *n)
	row := func(name string, d []time.Duration) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", name, ms(p(d, 50)), ms(p(d, 99)), ms(p(d, 100)))
	}
	row("scan to relay (pty, verify, SQLite FULL, relay)", scanToRelay)
	row("bare insert (synchronous=FULL, 1 row/tx)", bareInsert)
	row("bare Ed25519 verify", bareVerify)
	fmt.Fprintf(tw, "bare insert + verify\t%s\t%s\t\t\n", ms(sum(50)), ms(sum(99)))
	fmt.Fprintf(tw, "scan to relay / (insert + verify)\t%.2fx\t%.2fx\t\t\n", ratio(p(scanToRelay, 50), sum(50)), ratio(p(scanToRelay, 99), sum(99)))
	tw.Flush()
	fmt.Fprintf(stdout, "\nagent process %s\n", proc.binary)
	fmt.Fprintf(stdout, "  binary size          %.1f MB\n", float64(proc.size)/1e6)
	fmt.Fprintf(stdout, "  start to ready       %s\n", ms(proc.ready))
	fmt.Fprintf(stdout, "  RSS after %d scans   %.1f MB (peak %.1f MB)\n", *n, float64(proc.rss)/1e6, float64(proc.peak)/1e6)
	return nil
}

type gateBench struct {
	dir    string
	pub    ed25519.PublicKey
	priv   ed25519.PrivateKey
	tokens []string
}

func newGateBench(dir string, n int) (*gateBench, error) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	b := &gateBench{dir: dir, pub: pub, priv: priv}
	now := time.Now()
	for i := range n {
		tok, err := pass.Sign(pass.Claims{ID: fmt.Sprintf("bench-%d-%d", now.UnixNano(), i), Issuer: "city", Subject: fmt.Sprintf("V-%06d", i),
			Name: "Nguyễn Văn An", Host: "Phòng Hành chính", Audience: []string{"bench-site/bench-gate"},
			NotBefore: now.Add(-time.Hour), Expires: now.Add(24 * time.Hour), Uses: 1}, "bench", priv)
		if err != nil {
			return nil, err
		}
		b.tokens = append(b.tokens, tok)
	}
	return b, nil
}

// config writes and loads a box config for the benchmark: the sim board, one
// serial scanner on scannerPath, a trusted clock (the window is still checked).
func (b *gateBench) config(name, scannerPath, listen string) (string, *config.Config, error) {
	yaml := fmt.Sprintf(`identity: {site: bench-site, gate: bench-gate, device: bench-box}
board: sim
scanners:
  - {name: bench-scanner, type: serial, path: %q, baud: 115200, terminator: cr}
policy: {pulse: 100ms, clock_source: trusted, anti_passback: 0s}
trust:
  issuers:
    - {kid: bench, iss: city, public_key: %s}
store: {path: %q}
http: {listen: %q}
`, scannerPath, base64.RawURLEncoding.EncodeToString(b.pub), filepath.Join(b.dir, name+".db"), listen)
	path := filepath.Join(b.dir, name+".yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		return "", nil, err
	}
	cfg, err := config.Load(path)
	return path, cfg, err
}

// sideBySide measures each scan to relay and, right after it on the same
// disk, one bare insert and one bare verification, so that the disk's and
// the machine's moods weigh on all three alike.
func (b *gateBench) sideBySide() (scanToRelay, bareInsert, bareVerify []time.Duration, err error) {
	master, slave, err := pty.Open()
	if err != nil {
		return nil, nil, nil, err
	}
	defer master.Close()
	_, cfg, err := b.config("scan-to-relay", slave, "")
	if err != nil {
		return nil, nil, nil, err
	}
	bare, err := store.Open(filepath.Join(b.dir, "bare.db"))
	if err != nil {
		return nil, nil, nil, err
	}
	defer bare.Close()
	// About the size of an entry row plus its CloudEvent.
	insert, cleanup, err := bare.BareInsert(context.Background(), 900)
	if err != nil {
		return nil, nil, nil, err
	}
	defer cleanup()

	relaySet := make(chan time.Time, 16)
	ready := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- agent.Run(ctx, cfg, agent.Options{
			ConfigDir: b.dir,
			Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
			Ready:     func(net.Addr) { close(ready) },
			Lines: func(onInput func(config.Role, bool, time.Time)) (door.Lines, error) {
				return &doortest.Lines{OnInput: onInput, OnSet: func(role config.Role, on bool) {
					if role == config.RoleRelay && on {
						select {
						case relaySet <- time.Now():
						default: // never stall the door; the loop below notices a missing grant
						}
					}
				}}, nil
			},
		})
	}()
	defer func() { cancel(); <-done }()
	select {
	case <-ready:
	case err := <-done:
		return nil, nil, nil, fmt.Errorf("agent stopped: %v", err)
	}
	// The serial driver opens the port after ready; a first scan proves the path.
	if err := waitFirstGrant(master, b.tokens[0], relaySet); err != nil {
		return nil, nil, nil, err
	}
	time.Sleep(200 * time.Millisecond) // let repeats of the first pass (denied as used up) settle
	for len(relaySet) > 0 {
		<-relaySet
	}
	for _, tok := range b.tokens[1:] {
		start := time.Now()
		if _, err := master.Write([]byte(tok + "\r")); err != nil {
			return nil, nil, nil, err
		}
		select {
		case at := <-relaySet:
			scanToRelay = append(scanToRelay, at.Sub(start))
		case <-time.After(5 * time.Second):
			return nil, nil, nil, errors.New("no grant within 5 s: is the pass refused?")
		}
		start = time.Now()
		if err := insert(); err != nil {
			return nil, nil, nil, fmt.Errorf("bare insert: %w", err)
		}
		bareInsert = append(bareInsert, time.Since(start))
		d, err := b.verifyOnce(tok)
		if err != nil {
			return nil, nil, nil, err
		}
		bareVerify = append(bareVerify, d)
	}
	return scanToRelay, bareInsert, bareVerify, nil
}

func waitFirstGrant(master *os.File, token string, relaySet <-chan time.Time) error {
	for range 50 {
		if _, err := master.Write([]byte(token + "\r")); err != nil {
			return err
		}
		select {
		case <-relaySet:
			return nil
		case <-time.After(100 * time.Millisecond):
		}
	}
	return errors.New("the agent never granted the first pass")
}

// verifyOnce times a bare ed25519.Verify of the pass's signature.
func (b *gateBench) verifyOnce(tok string) (time.Duration, error) {
	dot := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[dot+1:])
	if err != nil {
		return 0, err
	}
	start := time.Now()
	ok := ed25519.Verify(b.pub, []byte(tok[:dot]), sig)
	d := time.Since(start)
	if !ok {
		return 0, errors.New("bench: own signature does not verify")
	}
	return d, nil
}

type processFigures struct {
	binary    string
	size      int64
	ready     time.Duration
	rss, peak int64
}

// agentProcess starts the binary as `roomgate agent`, times it to its ready
// line, sends every scan and reads its memory once all are kept.
func (b *gateBench) agentProcess(binary string) (processFigures, error) {
	fig := processFigures{binary: binary}
	if fi, err := os.Stat(binary); err == nil {
		fig.size = fi.Size()
	}
	master, slave, err := pty.Open()
	if err != nil {
		return fig, err
	}
	defer master.Close()
	path, _, err := b.config("process", slave, "127.0.0.1:0")
	if err != nil {
		return fig, err
	}
	cmd := exec.Command(binary, "agent", "--config", path, "--log-format", "text")
	logs, err := cmd.StderrPipe()
	if err != nil {
		return fig, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return fig, err
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(logs)
	kept := make(chan struct{}, len(b.tokens))
	readyAt := make(chan time.Time, 1)
	go func() {
		for lines.Scan() {
			switch l := lines.Text(); {
			case strings.Contains(l, "msg=ready"):
				readyAt <- time.Now()
			case strings.Contains(l, `msg="entry kept"`) && strings.Contains(l, "granted=true"):
				kept <- struct{}{}
			}
		}
	}()
	select {
	case at := <-readyAt:
		fig.ready = at.Sub(start)
	case <-time.After(10 * time.Second):
		return fig, errors.New("no ready line within 10 s")
	}
	// Wait until the scanner is open: the first pass must be granted.
	tokens := b.tokens
	for first := false; !first; {
		master.Write([]byte(tokens[0] + "\r"))
		select {
		case <-kept:
			first = true
		case <-time.After(200 * time.Millisecond):
		}
	}
	for _, tok := range tokens[1:] {
		if _, err := master.Write([]byte(tok + "\r")); err != nil {
			return fig, err
		}
		select {
		case <-kept:
		case <-time.After(5 * time.Second):
			return fig, errors.New("a scan was not granted within 5 s")
		}
	}
	fig.rss, fig.peak, err = procstat.Memory(cmd.Process.Pid)
	cmd.Process.Signal(os.Interrupt)
	return fig, err
}

// percentile is the nearest-rank q-th percentile (q=100 is the maximum).
func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(math.Ceil(q/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/1e6) }

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }
