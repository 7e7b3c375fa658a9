// Command roomgate-city is the city's tool for roomgate boxes: it makes the
// keys that sign visitor passes, issues passes and inspects them, sends
// boxes their meetings and face galleries, and reads what they report.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

func main() {
	err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, err) // errors start with the command line that failed
		os.Exit(1)
	}
}

// run is main without the process: tests drive the whole command through it.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now}
	return a.dispatch("roomgate-city", topCommands, args)
}

type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	now            func() time.Time
}

// command is one subcommand. Commands with subcommands of their own are
// tables too, so new ones (ingest, ca, publish) are one line each.
type command struct {
	name    string
	summary string
	run     func(a *app, path string, args []string) error
}

var topCommands = []command{
	{"keygen", "make a key pair for signing passes and print the box config snippet", (*app).keygen},
	{"pass", "issue visitor passes and inspect them", group(passCommands)},
	{"ca", "make the broker's CA and issue its server and client certificates", group(caCommands)},
	{"ingest", "store the boxes' events in the city database and acknowledge them", (*app).ingest},
	{"events", "print the newest events stored in the city database", (*app).events},
	{"trust", "send pass issuers' keys and revocations to boxes", group(trustCommands)},
	{"visit", "register chip ID card (CCCD) visits, with the visitor's face, at boxes", group(visitCommands)},
	{"cmd", "send a command to a box and print its answer", (*app).cmd},
	{"publish", "send meetings, face galleries and configs to boxes (retained)", group(publishCommands)},
	{"attendance", "list who checked in to each meeting, from the city database", (*app).attendance},
	{"claim", "make one-time claims that provision boxes", group(claimCommands)},
	{"enrol", "serve enrolment (EST over HTTPS) to boxes redeeming claims and renewing certificates", (*app).enrol},
	{"device", "act on a box by its device id (revoke)", group(deviceCommands)},
	{"bridges", "show each room's bridge call against its meeting now or next, from the city database", (*app).bridges},
}

var passCommands = []command{
	{"issue", "sign a visitor pass and print it (and its QR code)", (*app).passIssue},
	{"inspect", "show what a pass says, and check its signature with -pub", (*app).passInspect},
}

func group(table []command) func(*app, string, []string) error {
	return func(a *app, path string, args []string) error { return a.dispatch(path, table, args) }
}

// dispatch runs the command of table named by args[0]; path is the command
// line so far, for messages.
func (a *app) dispatch(path string, table []command, args []string) error {
	if len(args) == 0 {
		a.listCommands(a.stderr, path, table)
		return fmt.Errorf("%s: missing command", path)
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		a.listCommands(a.stdout, path, table)
		return flag.ErrHelp
	}
	for _, c := range table {
		if c.name == args[0] {
			return c.run(a, path+" "+c.name, args[1:])
		}
	}
	a.listCommands(a.stderr, path, table)
	return fmt.Errorf("%s: unknown command %q", path, args[0])
}

func (a *app) listCommands(w io.Writer, path string, table []command) {
	fmt.Fprintf(w, "Usage: %s COMMAND [flags]\n\nCommands:\n", path)
	for _, c := range table {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun '%s COMMAND -h' for a command's flags.\n", path)
}

// flags is a subcommand's flag set with the text its -h prints.
type flags struct {
	*flag.FlagSet
	usage, help string
}

func newFlags(path, usage, help string) *flags {
	fs := flag.NewFlagSet(path, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse errors are returned, -h is printed by parse
	fs.Usage = func() {}
	return &flags{FlagSet: fs, usage: usage, help: help}
}

// parse parses args, allowing flags after positional arguments, and returns
// the positional ones. On -h it prints help to stdout and returns
// flag.ErrHelp.
func (a *app) parse(f *flags, args []string) ([]string, error) {
	var pos []string
	for {
		err := f.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(a.stdout, "Usage: %s %s\n\n%s\n\nFlags:\n", f.Name(), f.usage, strings.TrimSpace(f.help))
			f.SetOutput(a.stdout)
			f.PrintDefaults()
			f.SetOutput(io.Discard)
			return nil, flag.ErrHelp
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w (see '%s -h')", f.Name(), err, f.Name())
		}
		if f.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, f.Arg(0))
		args = f.Args()[1:]
	}
}

// usageError reports a wrong invocation with a pointer to the help.
func usageError(f *flags, format string, args ...any) error {
	return fmt.Errorf("%s: %s (see '%s -h')", f.Name(), fmt.Sprintf(format, args...), f.Name())
}
