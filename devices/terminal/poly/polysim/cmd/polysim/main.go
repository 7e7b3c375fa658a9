// Command polysim runs a simulated Poly Group Series system: its API on a
// new pty (the RS-232 port; the path is printed) and, with -tcp, on a TCP
// address (port 24). Dial strings that start with busy, reject or noanswer
// get that answer; any other is answered.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/roomgate/roomgate/devices/terminal/poly/polysim"
	"github.com/roomgate/roomgate/internal/pty"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "polysim:", err)
		os.Exit(1)
	}
}

func run() error {
	tcp := flag.String("tcp", "", "also serve the API on this TCP address, e.g. 127.0.0.1:2424")
	password := flag.String("password", "", "ask for this password")
	link := flag.String("link", "", "also name the serial line by this symlink (the demo's run/terminal-device)")
	answer := flag.Duration("answer-after", 2*time.Second, "how long an answered call rings")
	logWrites := flag.Bool("log", false, "print what the system says to its sessions (a technician's view of the line)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	term := &polysim.Terminal{Password: *password, AnswerAfter: *answer}
	if *logWrites {
		term.OnWrite = func(text string) { fmt.Printf("says %q\n", text) }
	}

	if *tcp != "" {
		ln, err := net.Listen("tcp", *tcp)
		if err != nil {
			return err
		}
		fmt.Println("tcp", ln.Addr())
		go term.ServeListener(ctx, ln)
	}
	master, slave, err := pty.Open()
	if err != nil {
		return err
	}
	defer master.Close()
	// Holding the slave open keeps the line up while the driver has it
	// closed, as a system's serial port stays up with no cable; this end
	// never reads it.
	hold, err := os.OpenFile(slave, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return err
	}
	defer hold.Close()
	if *link != "" {
		os.Remove(*link)
		if err := os.Symlink(slave, *link); err != nil {
			return err
		}
		defer os.Remove(*link)
	}
	fmt.Println("serial", slave)
	return term.Serve(ctx, master)
}
