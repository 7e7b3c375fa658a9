package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/roomgate/roomgate/agent"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/kiosk"
	"github.com/roomgate/roomgate/provisioning/doctor"
)

// exitCode ends the command with that code and prints nothing more.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

const doctorUsage = `usage: roomgate doctor [-config FILE] [-json] [-interactive] [-lang en|vi]

Checks the box: camera (vision builds), scanners, door, conference terminal,
city link, clock, disk and store, memory. With -interactive it also asks
for a test scan, pulses the door relay and waits for the exit button (each
within 30 s). When the agent runs, it runs the checks over the devices the
agent holds; otherwise it opens them itself.

Exit status: 0 every check passed, 1 a check failed, 2 warnings only.
`

func runDoctor(args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("roomgate doctor", flag.ContinueOnError)
	fset.SetOutput(stderr)
	fset.Usage = func() { fmt.Fprint(stderr, doctorUsage); fset.PrintDefaults() }
	configPath := fset.String("config", "/etc/roomgate/roomgate.yaml", "config file")
	asJSON := fset.Bool("json", false, "print the report as JSON")
	interactive := fset.Bool("interactive", false, "also run the checks that need a technician (test scan, door pulse, exit button)")
	lang := fset.String("lang", "en", "language of the summaries and remedies: en or vi")
	if err := fset.Parse(args); err != nil || fset.NArg() != 0 || (*lang != "en" && *lang != "vi") {
		if err == nil {
			fset.Usage()
		}
		return errUsage
	}
	log := slog.New(slog.DiscardHandler)
	// A packaged box's config names none: its own is the provisioned one.
	path, unprovisioned, err := runConfigPath(*configPath)
	if err != nil {
		return err
	}
	if _, statErr := os.Stat(path); unprovisioned && statErr != nil {
		return fmt.Errorf("this box is not provisioned yet (no %s): provision it first, then run the self-test", path)
	}
	cfg, _, _, err := loadConfig(path, log)
	if err != nil {
		return err
	}
	var asked []string
	if *interactive {
		asked = []string{doctor.All}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	out := &doctorPrinter{w: stdout, lang: *lang, quiet: *asJSON}
	dir := filepath.Dir(path)
	rep, err := askAgent(ctx, cfg, dir, asked, out.event)
	if errors.Is(err, errNoAgent) {
		fmt.Fprintln(stderr, "roomgate doctor: no agent is running; testing the devices directly")
		rep, err = agent.Doctor(ctx, cfg, agent.Options{ConfigPath: path, ConfigDir: dir, Version: versionString(), Log: log}, asked, out.event)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	}
	if code := rep.ExitCode(); code != doctor.ExitOK {
		return exitCode(code)
	}
	return nil
}

// errNoAgent means no agent answers on the config's HTTP address;
// errNoToken that something answers but left no local token.
var (
	errNoAgent = errors.New("no agent running")
	errNoToken = errors.New("no local token")
)

// askAgent asks the running agent, over its loopback HTTP server, to run
// the self-test, and streams its events to emit.
func askAgent(ctx context.Context, cfg *config.Config, dir string, asked []string, emit func(doctor.Event)) (doctor.Report, error) {
	body, _ := json.Marshal(map[string][]string{"interactive": asked})
	var rep *doctor.Report
	err := postAgent(ctx, cfg.HTTP.Listen, agent.DoctorTokenPath(cfg, dir), kiosk.DoctorTokenHeader, "/api/doctor", body, func(line []byte) (bool, error) {
		var ev doctor.Event
		if err := json.Unmarshal(line, &ev); err != nil {
			return false, err
		}
		emit(ev)
		rep = ev.Report
		return rep != nil, nil
	})
	if err != nil {
		return doctor.Report{}, err
	}
	return *rep, nil
}

// postAgent posts body to the agent's loopback HTTP server at listen, with
// the local token read from tokenPath in header, and hands each line of the
// streamed answer (JSON, one per line) to line until it says done.
// agentAnswers is the local address of an agent serving on listen, or
// errNoAgent when nothing answers there.
func agentAnswers(listen string) (addr string, err error) {
	if listen == "" {
		return "", errNoAgent
	}
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("http.listen %q: %w", listen, err)
	}
	addr = net.JoinHostPort("127.0.0.1", port)
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", errNoAgent
	}
	conn.Close()
	return addr, nil
}

func postAgent(ctx context.Context, listen, tokenPath, header, path string, body []byte, line func([]byte) (done bool, err error)) error {
	addr, err := agentAnswers(listen)
	if err != nil {
		return err
	}
	token, err := os.ReadFile(tokenPath)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: something answers on %s but left no %s: is it this box's agent?", errNoToken, addr, tokenPath)
	}
	if err != nil {
		return fmt.Errorf("an agent runs on %s; run this as root or the roomgate user: %w", addr, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(header, strings.TrimSpace(string(token)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("ask the agent on %s: %w", addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("the agent on %s answered %s: %s", addr, resp.Status, bytes.TrimSpace(msg))
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		done, err := line(sc.Bytes())
		if err != nil {
			return fmt.Errorf("the agent's answer: %w", err)
		}
		if done {
			return nil
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("the agent's answer: %w", err)
	}
	return errors.New("the agent's answer ended before its end")
}

// doctorPrinter prints each result as it comes, for a technician at the
// terminal; with -json, only the prompts of interactive checks.
type doctorPrinter struct {
	w     io.Writer
	lang  string
	quiet bool
}

func (p *doctorPrinter) event(ev doctor.Event) {
	switch {
	case ev.Prompt != nil:
		fmt.Fprintf(p.w, ">> %s\n", ev.Prompt.In(p.lang))
	case p.quiet:
	case ev.Result != nil:
		r := ev.Result
		line := fmt.Sprintf("%-8s %-22s %s", r.Verdict, r.Check, r.Summary.In(p.lang))
		if r.Detail != "" {
			line += " (" + r.Detail + ")"
		}
		fmt.Fprintln(p.w, line)
		if r.Remedy != nil {
			fmt.Fprintf(p.w, "%-8s %-22s → %s\n", "", "", r.Remedy.In(p.lang))
		}
	case ev.Report != nil:
		s := ev.Report.Summary()
		fmt.Fprintf(p.w, "%d checks in %v: %d ok, %d warnings, %d failures\n", len(ev.Report.Results), ev.Report.Took.Round(time.Millisecond), s.OK, s.Warnings, s.Failures)
	}
}
