package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/roomgate/roomgate/agent/setup"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/kiosk"
	"github.com/roomgate/roomgate/provisioning/claim"
	"github.com/roomgate/roomgate/provisioning/est"
	"github.com/roomgate/roomgate/provisioning/provision"
)

const provisionUsage = `usage: roomgate provision [-config FILE] [-lang en|vi] [-user NAME] CLAIM|-

Provisions this box from a claim city IT made (roomgate-city claim create):
makes the box's key, enrols it with the city's enrolment server, fetches the
box's first config and writes them into the config's provisioning.dir. Each
step is printed with ✓, or ✗ with the reason and what to do. With - the
claim is read from the standard input (it then stays out of the shell's
history and the process list).

When the agent runs unprovisioned, it provisions (its first screen shows
the steps, and the files are the service user's). Otherwise this command
does it itself; run as root, the files are made for -user's.

Exit status: 0 provisioned, 1 not.
`

// connectCity reaches a claim's enrolment server with the EST client.
var connectCity provision.Connect = func(baseURL, caFingerprint string) (provision.City, error) {
	return est.NewClient(baseURL, caFingerprint)
}

// provisionedAgentRuns says whether an agent answers on the provisioned
// config's http.listen, which need not be the package config's.
func provisionedAgentRuns(own string) bool {
	cfg, err := config.Load(own)
	if err != nil {
		return false
	}
	_, err = agentAnswers(cfg.HTTP.Listen)
	return err == nil
}

func runProvision(args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("roomgate provision", flag.ContinueOnError)
	fset.SetOutput(stderr)
	fset.Usage = func() { fmt.Fprint(stderr, provisionUsage); fset.PrintDefaults() }
	configPath := fset.String("config", "/etc/roomgate/roomgate.yaml", "config file (the package's, which names no box)")
	lang := fset.String("lang", "en", "language of the steps and remedies: en or vi")
	owner := fset.String("user", "roomgate", "run as root without a running agent: the user the agent runs as, who gets the files")
	if err := fset.Parse(args); err != nil || fset.NArg() != 1 || (*lang != "en" && *lang != "vi") {
		if err == nil {
			fset.Usage()
		}
		return errUsage
	}
	text := fset.Arg(0)
	if text == "-" {
		b, err := io.ReadAll(io.LimitReader(os.Stdin, claim.MaxSize+1))
		if err != nil {
			return err
		}
		text = string(b)
	}
	own, unprovisioned, err := runConfigPath(*configPath)
	if err != nil {
		return err
	}
	if !unprovisioned {
		return fmt.Errorf("%s names its box already; provisioning writes into the provisioning.dir of the package's config (/etc/roomgate/roomgate.yaml): give that one", *configPath)
	}
	local, err := config.Load(*configPath)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	out := &provisionPrinter{w: stdout, lang: *lang}
	dir := filepath.Dir(own)
	ok, err := askAgentProvision(ctx, local, dir, text, out.event)
	if errors.Is(err, errNoToken) || (errors.Is(err, errNoAgent) && provisionedAgentRuns(own)) {
		if _, statErr := os.Stat(own); statErr == nil {
			return fmt.Errorf("this box is provisioned and its agent runs (%s): stop it first (systemctl stop roomgate) to provision it again", own)
		}
	}
	if errors.Is(err, errNoAgent) {
		fmt.Fprintln(stderr, "roomgate provision: no agent is running; provisioning from here")
		var o *provision.Owner
		if o, err = serviceOwner(*owner); err != nil {
			return err
		}
		_, err = provision.Run(ctx, text, provision.Options{Dir: dir, Connect: connectCity, Owner: o}, out.event)
		ok = err == nil
		var pe *provision.Error
		if errors.As(err, &pe) {
			err = nil // printed with its remedy
		}
	}
	if err != nil {
		return err
	}
	if !ok {
		return exitCode(1)
	}
	return nil
}

// serviceOwner is who gets the files when this command provisions as root:
// the agent's service user, which must read them (they are 0600). Run as
// anyone else, the files are that user's, which is right when it is the
// service user and refused by the agent otherwise.
func serviceOwner(name string) (*provision.Owner, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("as root the files are made for the agent's user %q, and there is none (%v): give it with -user, or run as that user", name, err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("user %q has ids %s:%s", name, u.Uid, u.Gid)
	}
	return &provision.Owner{UID: uid, GID: gid}, nil
}

// askAgentProvision asks the agent waiting for provisioning to provision
// from the claim, streaming the steps to emit; ok is whether it did.
func askAgentProvision(ctx context.Context, local *config.Config, dir, text string, emit func(provision.Event)) (ok bool, err error) {
	body, _ := json.Marshal(map[string]string{"claim": strings.TrimSpace(text)})
	err = postAgent(ctx, local.HTTP.Listen, setup.TokenPath(dir), kiosk.ProvisionTokenHeader, "/api/provision", body, func(line []byte) (bool, error) {
		var ev provision.Event
		if err := json.Unmarshal(line, &ev); err != nil {
			return false, err
		}
		emit(ev)
		ok = ev.Step == provision.StepDone && ev.State == provision.OK
		return ok || ev.State == provision.Failed, nil
	})
	return ok, err
}

// provisionPrinter prints each step as it starts and ends, for a
// technician at the terminal.
type provisionPrinter struct {
	w    io.Writer
	lang string
}

func (p *provisionPrinter) event(ev provision.Event) {
	title := ev.Title.In(p.lang)
	switch ev.State {
	case provision.Running:
		fmt.Fprintf(p.w, "… %s\n", title)
	case provision.OK:
		fmt.Fprintf(p.w, "✓ %s", title)
		if ev.Detail != "" {
			fmt.Fprintf(p.w, " (%s)", ev.Detail)
		}
		fmt.Fprintln(p.w)
	default:
		mark := "✗"
		if ev.State == provision.Warning {
			mark = "!"
		}
		fmt.Fprintf(p.w, "%s %s: %s", mark, title, ev.Reason)
		if ev.Detail != "" {
			fmt.Fprintf(p.w, " (%s)", ev.Detail)
		}
		fmt.Fprintln(p.w)
		if ev.Remedy != nil {
			fmt.Fprintf(p.w, "  → %s\n", ev.Remedy.In(p.lang))
		}
	}
}
