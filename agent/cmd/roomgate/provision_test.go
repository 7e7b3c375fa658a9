package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/internal/logbuf"
	"github.com/roomgate/roomgate/internal/socat"
	"github.com/roomgate/roomgate/provisioning/claim"
)

// packagedConfig is the package's config (no box named) with a scanner on
// a pty and the first screen on listen.
func packagedConfig(t *testing.T, listen string) (path string, link *socat.Link) {
	t.Helper()
	etc, state := t.TempDir(), t.TempDir()
	link = socat.Pair(t, etc)
	path = filepath.Join(etc, "roomgate.yaml")
	yaml := fmt.Sprintf(`board: generic
scanners:
  - {name: front, type: serial, path: %q, baud: 9600, terminator: cr}
http: {listen: %q}
provisioning: {dir: %s/provisioning}
`, link.Device, listen, state)
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, link
}

// unreachableClaim is a well-formed claim whose enrolment server does not
// answer: it fails at the CA step with or without an EST client.
func unreachableClaim(t *testing.T) (text, token string) {
	t.Helper()
	tok, err := claim.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	text, err = claim.Claim{URL: "https://127.0.0.1:1", CA: claim.Fingerprint([]byte("ca")), Device: "gate-01", Kind: claim.KindGate,
		Site: "hq", Token: tok, Expires: time.Now().Add(time.Hour).Unix()}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return text, tok
}

// The unprovisioned agent reads claims from its scanner and ignores, with
// a logged line, what is not one; `roomgate provision` asks it to
// provision; nothing in the log holds a claim's token.
func TestUnprovisionedAgentTakesClaims(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := ln.Addr().String()
	ln.Close()
	path, link := packagedConfig(t, listen)
	logs := &logbuf.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	done := make(chan string, 1)
	go func() {
		p, err := awaitProvisioned(ctx, path, log, func(a net.Addr) { ready <- a })
		if err != nil {
			t.Error(err)
		}
		done <- p
	}()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatalf("no first screen in 10 s:\n%s", logs.String())
	}
	// waitLogN waits for the n-th line with want.
	waitLogN := func(want string, n int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); strings.Count(logs.String(), want) < n; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("not %d %q in the log:\n%s", n, want, logs.String())
			}
		}
	}
	waitLog := func(want string) { t.Helper(); waitLogN(want, 1) }
	waitLog("scanner connected")
	// Control bytes are dropped by the scanner's driver or the line is
	// rejected, depending on how it arrives: either way it is ignored.
	link.Write([]byte("garbage\x00\x01\x02\r"))
	waitLogN("scan ignored", 1)
	link.Write([]byte(strings.Repeat("X", 5000) + "\r"))
	waitLogN("scan ignored", 2)
	waitLog("scan ignored: garbage")
	link.Write([]byte("eyJhbGciOiJFZERTQSJ9.a-visitor-pass.sig\r"))
	waitLogN("scan ignored", 3)
	waitLog("bytes=39")
	link.Write([]byte(claim.Prefix + "not-base64!\r"))
	waitLog("reason=claim_invalid")

	text, token := unreachableClaim(t)
	link.Write([]byte(text + "\r"))
	waitLog("reason=unreachable")

	// The command finds the agent and has it provision.
	code, out, stderr := runCmd(t, "provision", "-config", path, "-lang", "vi", text)
	if code != 1 || strings.Contains(stderr, "no agent") || !strings.Contains(out, "✗ Kiểm tra cơ quan cấp chứng thư của thành phố: unreachable") ||
		!strings.Contains(out, "→ Không kết nối được máy chủ cấp phép") || !strings.Contains(out, "✓ Đọc mã cấp phép") {
		t.Errorf("roomgate provision with the agent = exit %d, stderr %q:\n%s", code, stderr, out)
	}
	if strings.Contains(logs.String(), token) || strings.Contains(logs.String(), text) {
		t.Errorf("the log holds the claim:\n%s", logs.String())
	}
	select {
	case p := <-done:
		t.Fatalf("awaitProvisioned returned %q unprovisioned", p)
	default:
	}
	cancel()
	if p := <-done; p != "" {
		t.Errorf("awaitProvisioned(stopped) = %q", p)
	}
	// Stopped, it frees the first screen's address for the provisioned agent.
	if ln, err := net.Listen("tcp", listen); err != nil {
		t.Errorf("the first screen's address is still held: %v", err)
	} else {
		ln.Close()
	}
}

// Without an agent the command provisions by itself; a bad claim or an
// unknown service user is told plainly.
func TestProvisionCommandStandalone(t *testing.T) {
	path, _ := packagedConfig(t, "127.0.0.1:1")
	code, out, stderr := runCmd(t, "provision", "-config", path, "-user", "root", "RGCLAIM1:xyz")
	if code != 1 || !strings.Contains(stderr, "no agent is running") || !strings.Contains(out, "✗ Read the claim: claim_invalid") ||
		!strings.Contains(out, "→ This is not a valid claim") {
		t.Errorf("a bad claim = exit %d, stderr %q:\n%s", code, stderr, out)
	}
	text, _ := unreachableClaim(t)
	code, out, _ = runCmd(t, "provision", "-config", path, "-user", "root", text)
	if code != 1 || !strings.Contains(out, "✓ Make the box's key") || !strings.Contains(out, ": unreachable") {
		t.Errorf("an unreachable city = exit %d:\n%s", code, out)
	}
	if os.Geteuid() == 0 {
		var o, e bytes.Buffer
		err := run([]string{"provision", "-config", path, "-user", "no-such-user-here", text}, &o, &e)
		if err == nil || !strings.Contains(err.Error(), `agent's user "no-such-user-here"`) {
			t.Errorf("as root for a missing user = %v", err)
		}
	}
	var o, e bytes.Buffer
	if err := run([]string{"provision", "-config", path}, &o, &e); !errors.Is(err, errUsage) {
		t.Errorf("no claim = %v", err)
	}
}
