package sshport

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"golang.org/x/crypto/ssh"
)

// Server is a small SSH server that hands each shell session to Handle:
// the simulators' side of Transport. It logs in one user by password and
// has a host key of its own, made when it starts.
type Server struct {
	ln     net.Listener
	signer ssh.Signer
	conf   *ssh.ServerConfig
	handle func(ctx context.Context, rw io.ReadWriter)
	ctx    context.Context
	cancel context.CancelFunc

	mu    sync.Mutex
	conns map[net.Conn]bool
	keys  map[string]bool // fingerprints of the client keys let in
	wg    sync.WaitGroup
}

// Listen serves SSH on addr (such as 127.0.0.1:0). Each shell runs handle
// until it returns or the connection drops; then the connection is closed.
func Listen(addr, user, password string, handle func(ctx context.Context, rw io.ReadWriter)) (*Server, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("sshport: host key: %w", err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, fmt.Errorf("sshport: host key: %w", err)
	}
	s := &Server{signer: signer, handle: handle, conns: map[net.Conn]bool{}, keys: map[string]bool{}}
	s.conf = &ssh.ServerConfig{
		PasswordCallback: func(c ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if c.User() == user && password != "" && string(pw) == password {
				return nil, nil
			}
			return nil, errors.New("sshport: wrong user or password")
		},
		PublicKeyCallback: func(c ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			s.mu.Lock()
			ok := s.keys[ssh.FingerprintSHA256(key)]
			s.mu.Unlock()
			if c.User() == user && ok {
				return nil, nil
			}
			return nil, errors.New("sshport: key not allowed")
		},
	}
	s.conf.AddHostKey(signer)
	s.ln, err = net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sshport: %w", err)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// HostKey is the server's public key in authorized_keys format, as
// Transport.HostKey takes it.
func (s *Server) HostKey() string {
	return string(ssh.MarshalAuthorizedKey(s.signer.PublicKey()))
}

// Fingerprint is the SHA256 fingerprint of the host key.
func (s *Server) Fingerprint() string { return ssh.FingerprintSHA256(s.signer.PublicKey()) }

// AllowKey lets the user in with the key given in authorized_keys format.
func (s *Server) AllowKey(authorizedKey string) error {
	key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(authorizedKey))
	if err != nil {
		return fmt.Errorf("sshport: %w", err)
	}
	s.mu.Lock()
	s.keys[ssh.FingerprintSHA256(key)] = true
	s.mu.Unlock()
	return nil
}

// DropAll closes every connection, as a terminal pulled off the network
// does; the server goes on accepting new ones.
func (s *Server) DropAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
}

// Close stops the server, drops every connection and waits for the
// handlers to return.
func (s *Server) Close() error {
	err := s.ln.Close()
	s.cancel()
	s.DropAll()
	s.wg.Wait()
	return err
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serve(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		}()
	}
}

func (s *Server) serve(c net.Conn) {
	sc, chans, reqs, err := ssh.NewServerConn(c, s.conf)
	if err != nil {
		return
	}
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, chReqs, err := nc.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.session(ch, chReqs)
			// A terminal has one shell per login: when it ends, so does the
			// connection, which is how a client sees a reboot.
			sc.Close()
		}()
	}
}

func (s *Server) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		switch req.Type {
		case "pty-req", "env":
			req.Reply(true, nil)
		case "shell":
			req.Reply(true, nil)
			go ssh.DiscardRequests(reqs)
			s.handle(s.ctx, ch)
			ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{0}))
			return
		default:
			req.Reply(false, nil)
		}
	}
}
