package sshport

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// echoServer repeats each line back, upper-cased, so a test sees its own
// words come through the shell.
func echoServer(t *testing.T) *Server {
	t.Helper()
	s, err := Listen("127.0.0.1:0", "admin", "pw", func(ctx context.Context, rw io.ReadWriter) {
		sc := bufio.NewScanner(rw)
		for sc.Scan() {
			io.WriteString(rw, strings.ToUpper(sc.Text())+"\n")
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func roundTrip(t *testing.T, tr Transport) error {
	t.Helper()
	rw, err := tr.Open(context.Background())
	if err != nil {
		return err
	}
	defer rw.Close()
	io.WriteString(rw, "xstatus call\n")
	line, err := bufio.NewReader(rw).ReadString('\n')
	if err != nil || line != "XSTATUS CALL\n" {
		t.Errorf("through %s: read %q, %v; want the server's answer", tr, line, err)
	}
	return nil
}

func TestOpenPinnedByKeyOrFingerprint(t *testing.T) {
	s := echoServer(t)
	for _, pin := range []string{s.HostKey(), s.Fingerprint(), "  " + s.Fingerprint() + "\n"} {
		if err := roundTrip(t, Transport{Addr: s.Addr(), User: "admin", Password: "pw", HostKey: pin}); err != nil {
			t.Errorf("Open pinned to %q = %v", pin, err)
		}
	}
}

func TestOpenRefusesAnotherHostKey(t *testing.T) {
	s, other := echoServer(t), echoServer(t)
	tr := Transport{Addr: s.Addr(), User: "admin", Password: "pw", HostKey: other.HostKey()}
	err := roundTrip(t, tr)
	if !errors.Is(err, ErrHostKey) || !strings.Contains(err.Error(), s.Fingerprint()) || !strings.Contains(err.Error(), other.Fingerprint()) {
		t.Errorf("Open = %v, want ErrHostKey naming the key seen %s and the one pinned %s", err, s.Fingerprint(), other.Fingerprint())
	}
}

func TestOpenWrongPassword(t *testing.T) {
	s := echoServer(t)
	err := roundTrip(t, Transport{Addr: s.Addr(), User: "admin", Password: "nope", HostKey: s.Fingerprint()})
	if !errors.Is(err, ErrLogin) || !strings.Contains(err.Error(), `"admin"`) {
		t.Errorf("Open with a wrong password = %v, want ErrLogin naming the user", err)
	}
}

func TestOpenWithKey(t *testing.T) {
	s := echoServer(t)
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	tr := Transport{Addr: s.Addr(), User: "admin", KeyFile: keyFile, HostKey: s.Fingerprint()}
	if err := roundTrip(t, tr); !errors.Is(err, ErrLogin) {
		t.Fatalf("Open with a key not yet allowed = %v, want ErrLogin", err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AllowKey(string(ssh.MarshalAuthorizedKey(sshPub))); err != nil {
		t.Fatal(err)
	}
	if err := roundTrip(t, tr); err != nil {
		t.Errorf("Open with an allowed key = %v", err)
	}
}

func TestValidate(t *testing.T) {
	s := echoServer(t)
	tests := []struct {
		tr Transport
		ok bool
	}{
		{Transport{Addr: "codec", User: "admin", Password: "pw", HostKey: s.HostKey()}, true},
		{Transport{Addr: "codec:2222", User: "admin", KeyFile: "/k", HostKey: s.Fingerprint()}, true},
		{Transport{Addr: "codec", User: "admin", Password: "pw"}, false},                             // nothing pinned
		{Transport{Addr: "codec", User: "admin", Password: "pw", HostKey: "SHA256:short"}, false},    // not a fingerprint
		{Transport{Addr: "codec", User: "admin", Password: "pw", HostKey: "ssh-ed25519 ???"}, false}, // not a key
		{Transport{Addr: "codec", User: "admin", HostKey: s.Fingerprint()}, false},                   // no way to log in
		{Transport{User: "admin", Password: "pw", HostKey: s.Fingerprint()}, false},                  // no address
	}
	for _, tt := range tests {
		if err := tt.tr.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v.Validate() = %v, want ok %v", tt.tr, err, tt.ok)
		}
	}
	if got := (Transport{Addr: "codec", User: "admin"}).String(); got != "ssh://admin@codec:22" {
		t.Errorf("String() = %q", got)
	}
}
