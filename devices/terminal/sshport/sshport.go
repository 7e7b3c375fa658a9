package sshport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/roomgate/roomgate/devices/terminal"
)

// Errors callers branch on.
var (
	// ErrHostKey is a terminal that shows another host key than the pinned
	// one: a replaced codec, or someone in the middle.
	ErrHostKey = errors.New("sshport: host key does not match the pinned key")
	// ErrLogin is a terminal that refused the user, password or key.
	ErrLogin = errors.New("sshport: login refused")
)

// handshakeTimeout bounds the SSH handshake when ctx has no deadline.
const handshakeTimeout = 10 * time.Second

// Transport is a terminal's shell over SSH.
type Transport struct {
	Addr     string // host or host:port; port 22 when none
	User     string
	Password string // "" when only the key is used
	KeyFile  string // a private key in PEM (OpenSSH or PKCS#8), unencrypted; "" for none
	// HostKey pins the terminal: its public key in authorized_keys format
	// ("ssh-ed25519 AAAA…") or its fingerprint ("SHA256:…", as ssh-keygen
	// -lf prints it).
	HostKey string
}

var _ terminal.Transport = Transport{}

func (t Transport) String() string { return "ssh://" + t.User + "@" + t.addr() }

func (t Transport) addr() string {
	if _, _, err := net.SplitHostPort(t.Addr); err == nil {
		return t.Addr
	}
	return net.JoinHostPort(t.Addr, "22")
}

// Validate checks the config without connecting.
func (t Transport) Validate() error {
	if t.Addr == "" || t.User == "" {
		return errors.New("sshport: address and user are required")
	}
	if t.Password == "" && t.KeyFile == "" {
		return errors.New("sshport: a password or a key file is required")
	}
	_, err := pinned(t.HostKey)
	return err
}

// pinned returns the fingerprint the host key must have.
func pinned(s string) (string, error) {
	s = strings.TrimSpace(s)
	if fp, ok := strings.CutPrefix(s, "SHA256:"); ok {
		if len(fp) != 43 || strings.ContainsFunc(fp, func(r rune) bool { return !isBase64(r) }) {
			return "", fmt.Errorf("sshport: host key fingerprint %q is not a SHA256 fingerprint", s)
		}
		return s, nil
	}
	if s == "" {
		return "", errors.New("sshport: no host key pinned: give the terminal's public key or its SHA256 fingerprint")
	}
	key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(s))
	if err != nil {
		return "", fmt.Errorf("sshport: host key: %w", err)
	}
	return ssh.FingerprintSHA256(key), nil
}

func isBase64(r rune) bool {
	return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '/'
}

// Open connects, checks the host key, logs in and starts a shell. Its
// output and input are the returned stream; closing it ends the
// connection.
func (t Transport) Open(ctx context.Context) (io.ReadWriteCloser, error) {
	want, err := pinned(t.HostKey)
	if err != nil {
		return nil, err
	}
	auth, err := t.auth()
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", t.addr())
	if err != nil {
		return nil, fmt.Errorf("sshport: %w", err)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(handshakeTimeout)
	}
	nc.SetDeadline(deadline)
	keyChecked := false
	conf := &ssh.ClientConfig{
		User: t.User,
		Auth: auth,
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			if seen := ssh.FingerprintSHA256(key); seen != want {
				return fmt.Errorf("%w: %s shows %s %s, pinned %s", ErrHostKey, t.addr(), key.Type(), seen, want)
			}
			keyChecked = true
			return nil
		},
	}
	cc, chans, reqs, err := ssh.NewClientConn(nc, t.addr(), conf)
	if err != nil {
		nc.Close()
		if keyChecked && strings.Contains(err.Error(), "unable to authenticate") {
			return nil, fmt.Errorf("%w: %s as %q: wrong user, password or key", ErrLogin, t.addr(), t.User)
		}
		if errors.Is(err, ErrHostKey) {
			return nil, fmt.Errorf("sshport: refusing %s: %w", t.addr(), err)
		}
		return nil, fmt.Errorf("sshport: %s: %w", t.addr(), err)
	}
	client := ssh.NewClient(cc, chans, reqs)
	sh, err := shell(client)
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("sshport: %s: %w", t.addr(), err)
	}
	nc.SetDeadline(time.Time{})
	return sh, nil
}

func (t Transport) auth() ([]ssh.AuthMethod, error) {
	var auth []ssh.AuthMethod
	if t.KeyFile != "" {
		pem, err := os.ReadFile(t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("sshport: %w", err)
		}
		signer, err := ssh.ParsePrivateKey(pem)
		if err != nil {
			return nil, fmt.Errorf("sshport: key %s: %w", t.KeyFile, err)
		}
		auth = append(auth, ssh.PublicKeys(signer))
	}
	if t.Password != "" {
		auth = append(auth, ssh.Password(t.Password))
	}
	return auth, nil
}

// shell opens a session with a terminal, as an interactive login gets:
// some firmware gives the xAPI only there. It is wide so that no command
// is wrapped, and asks for no echo (the driver drops one anyway).
func shell(client *ssh.Client) (io.ReadWriteCloser, error) {
	s, err := client.NewSession()
	if err != nil {
		return nil, err
	}
	if err := s.RequestPty("vt100", 50, 1000, ssh.TerminalModes{ssh.ECHO: 0}); err != nil {
		return nil, fmt.Errorf("pty: %w", err)
	}
	in, err := s.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := s.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := s.Shell(); err != nil {
		return nil, fmt.Errorf("shell: %w", err)
	}
	return &stream{Reader: out, Writer: in, client: client}, nil
}

type stream struct {
	io.Reader
	io.Writer
	client *ssh.Client
}

func (s *stream) Close() error { return s.client.Close() }
