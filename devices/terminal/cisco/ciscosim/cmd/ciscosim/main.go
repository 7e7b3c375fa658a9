// Command ciscosim runs a simulated Cisco codec to try the xAPI by hand or
// to point a roomgate agent at: over SSH, or on standard input and output
// for socat to put on a pty.
//
//	go run ./devices/terminal/cisco/ciscosim/cmd/ciscosim -ssh 127.0.0.1:2222
//	socat pty,raw,echo=0,link=/tmp/cisco EXEC:'go run ./devices/terminal/cisco/ciscosim/cmd/ciscosim -stdio'
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/roomgate/roomgate/devices/terminal/cisco/ciscosim"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	sshAddr := flag.String("ssh", "", "serve the xAPI shell over SSH on this address, such as 127.0.0.1:2222")
	stdio := flag.Bool("stdio", false, "serve a console on standard input and output (for socat)")
	user := flag.String("user", "integrator", "the login")
	password := flag.String("password", "integrator", "the password")
	flag.Parse()
	if (*sshAddr == "") == !*stdio {
		return errors.New("ciscosim: give -ssh ADDR or -stdio")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sim := &ciscosim.Sim{User: *user, Password: *password}
	if *stdio {
		sim.Echo = true
		err := sim.Serve(ctx, struct {
			io.Reader
			io.Writer
		}{os.Stdin, os.Stdout})
		if ctx.Err() != nil || errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	srv, err := sim.ListenSSH(*sshAddr)
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(os.Stderr, "ciscosim: ssh %s@%s, password %q\nhost key (pin it): %shost key fingerprint: %s\n",
		*user, srv.Addr(), *password, srv.HostKey(), srv.Fingerprint())
	<-ctx.Done()
	return nil
}
