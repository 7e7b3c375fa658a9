package polysim

import (
	"context"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSplitQuoted(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		ok   bool
	}{
		{`768 "r7@city" sip`, []string{"768", "r7@city", "sip"}, true},
		{`768 "512 555 1212"`, []string{"768", "512 555 1212"}, true},
		{`  64   5551212 h320 `, []string{"64", "5551212", "h320"}, true},
		{`768 "r7" h323" sip`, nil, false},
		{`768 "r7`, nil, false},
		{`768 "r7"x`, nil, false},
		{`768 r"7`, nil, false},
		{``, nil, true},
	} {
		got, ok := splitQuoted(tc.in)
		if ok != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("splitQuoted(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// TestAnswerWhenTold: a call to a far end that does not answer rings until
// Answer, whose connected line OnWrite sees just before it is written.
func TestAnswerWhenTold(t *testing.T) {
	wrote := make(chan string, 64)
	term := &Terminal{OnWrite: func(text string) { wrote <- text }}
	box, sim := net.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go term.Serve(ctx, sim)
	go io.Copy(io.Discard, box)
	for _, cmd := range []string{"callstate register", `dial manual 768 "noanswer-7" sip`} {
		if _, err := io.WriteString(box, cmd+"\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	waitFor := func(what string) {
		t.Helper()
		timeout := time.After(5 * time.Second)
		for {
			select {
			case text := <-wrote:
				if strings.Contains(text, what) {
					return
				}
			case <-timeout:
				t.Fatalf("no %q written within 5 s", what)
			}
		}
	}
	waitFor("state[RINGING]")
	if n := term.Answer(); n != 1 {
		t.Fatalf("Answer() = %d, want the ringing call", n)
	}
	waitFor("state[COMPLETE]")
	if n := term.Answer(); n != 0 {
		t.Errorf("Answer() again = %d, want 0: the call is connected", n)
	}
}

// A TCP session the client ends is closed by the simulator too, so a
// driver that reconnects does not leave connections behind.
func TestServeClosesAnEndedSession(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go (&Terminal{}).ServeListener(ctx, ln)
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(c); err != nil {
		t.Fatalf("the simulator kept the ended session open: %v", err)
	}
}
