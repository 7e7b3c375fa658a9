package setup

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/devices/scanner"
	"github.com/roomgate/roomgate/internal/logbuf"
	"github.com/roomgate/roomgate/kiosk"
)

// lines is a scanner that emits its lines once, then waits for ctx.
type lines []scanner.Line

func (l lines) Status() scanner.Status { return scanner.Status{Name: "entrance"} }
func (l lines) Run(ctx context.Context, emit func(scanner.Line)) error {
	for _, x := range l {
		emit(x)
	}
	<-ctx.Done()
	return nil
}

func waitFor(t *testing.T, logs *logbuf.Buffer, want string) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); !strings.Contains(logs.String(), want); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("no %q in the log:\n%s", want, logs)
		}
	}
}

// What is scanned on a box waiting for provisioning and is not a claim (a
// visitor's pass, an ID card) is ignored and logged by its length only.
func TestScansThatAreNotClaimsAreIgnoredWithoutTheirText(t *testing.T) {
	const idCard = "001098012345|Nguyen Van A|01011990"
	var logs logbuf.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{
			Dir: filepath.Join(t.TempDir(), "provisioning"), Log: slog.New(slog.NewTextHandler(&logs, nil)),
			Scanners: []Scanner{lines{{Text: idCard}, {Reject: "binary"}}},
		})
	}()
	waitFor(t, &logs, "scan ignored: not a claim")
	waitFor(t, &logs, "scan ignored: garbage")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s := logs.String(); strings.Contains(s, "Nguyen") || strings.Contains(s, "001098012345") || !strings.Contains(s, fmt.Sprintf("bytes=%d", len(idCard))) {
		t.Errorf("the log shows the scan's text or not its length:\n%s", s)
	}
}

// The first screen's local token is kept beside the provisioning directory
// while it is served and removed after; when it cannot be written, the
// screen is still served and `roomgate provision` is refused rather than
// let in with a token nobody can read.
func TestFirstScreenToken(t *testing.T) {
	for _, writable := range []bool{true, false} {
		base := t.TempDir()
		if !writable {
			// A file where the token's directory should be.
			base = filepath.Join(base, "file")
			if err := os.WriteFile(base, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		dir := filepath.Join(base, "provisioning")
		var logs logbuf.Buffer
		addr := make(chan net.Addr, 1)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- Run(ctx, Options{Dir: dir, HTTPListen: "127.0.0.1:0", Log: slog.New(slog.NewTextHandler(&logs, nil)),
				Ready: func(a net.Addr) { addr <- a }})
		}()
		a := <-addr
		token, readErr := os.ReadFile(TokenPath(dir))
		if writable && readErr != nil {
			t.Fatalf("token not written: %v", readErr)
		}
		if !writable && !strings.Contains(logs.String(), "roomgate provision cannot reach this agent") {
			t.Errorf("no warning that the token could not be written:\n%s", logs.String())
		}
		req, _ := http.NewRequest("POST", "http://"+a.String()+"/api/provision", strings.NewReader(`{"claim":"x"}`))
		req.Header.Set(kiosk.ProvisionTokenHeader, string(token))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if refused := resp.StatusCode == http.StatusForbidden; refused == writable {
			t.Errorf("writable=%v: /api/provision answered %d", writable, resp.StatusCode)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(TokenPath(dir)); err == nil {
			t.Error("the token is left behind after the first screen stopped")
		}
	}
}
