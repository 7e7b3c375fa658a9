package mqtttest

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/roomgate/roomgate/deploy/city/ca"
	"github.com/roomgate/roomgate/internal/tlsfiles"
)

// Timeouts for the broker to become ready and to stop.
const (
	readyTimeout = 10 * time.Second
	stopTimeout  = 10 * time.Second
)

// probeCN is the certificate the harness itself connects with to see that
// the broker is ready.
const probeCN = "mqtttest-probe"

// Broker is a running Mosquitto. URL is what paho dials; CAFile is the CA
// that signed the broker's and the clients' certificates; Dir holds the
// broker's config, certificates, ACL and persistence.
type Broker struct {
	URL    string
	CAFile string
	Dir    string

	ca   *ca.CA
	bin  string
	conf string
	port int
	log  *logBuffer

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd has been waited for
}

// Start starts a broker on a free port of 127.0.0.1 and waits until it
// accepts MQTT over TLS. The test fails if mosquitto is not installed.
// Cleanup stops it and, if the test failed, logs the broker's log.
func Start(t testing.TB) *Broker {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/mosquitto"); serr != nil {
			t.Fatal("mosquitto not found: apt-get install mosquitto")
		}
		bin = "/usr/sbin/mosquitto" // not on a non-root user's PATH
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatalf("mqtttest: %v", err)
	}
	dir := t.TempDir()
	c, err := ca.Init(filepath.Join(dir, "ca"))
	if err != nil {
		t.Fatalf("mqtttest: %v", err)
	}
	certFile, keyFile, err := c.IssueServer(filepath.Join(dir, "ca"), "broker", []string{"localhost", "127.0.0.1"})
	if err != nil {
		t.Fatalf("mqtttest: %v", err)
	}
	acl, err := os.ReadFile(filepath.Join(root, "deploy", "mosquitto", "acl"))
	if err != nil {
		t.Fatalf("mqtttest: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "acl"), acl, 0o644); err != nil {
		t.Fatalf("mqtttest: %v", err)
	}
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatalf("mqtttest: %v", err)
	}
	shipped, err := os.ReadFile(filepath.Join(root, "deploy", "mosquitto", "roomgate.conf"))
	if err != nil {
		t.Fatalf("mqtttest: %v", err)
	}
	b := &Broker{
		CAFile: c.CertFile(),
		Dir:    dir,
		ca:     c,
		bin:    bin,
		conf:   filepath.Join(dir, "mosquitto.conf"),
		log:    &logBuffer{},
	}
	t.Cleanup(func() {
		if err := b.stop(); err != nil {
			t.Errorf("mqtttest: %v", err)
		}
		if t.Failed() {
			t.Logf("mosquitto log:\n%s", b.Log())
		}
	})
	files := paths{
		cafile:   c.CertFile(),
		certfile: certFile,
		keyfile:  keyFile,
		aclfile:  filepath.Join(dir, "acl"),
		crlfile:  c.CRLFile(),
		persist:  filepath.Join(dir, "data") + "/",
	}
	// Another process may take the free port before mosquitto binds it.
	for attempt := 1; ; attempt++ {
		if b.port, err = freePort(); err != nil {
			t.Fatalf("mqtttest: %v", err)
		}
		conf, err := config(string(shipped), b.port, files)
		if err != nil {
			t.Fatalf("mqtttest: deploy/mosquitto/roomgate.conf: %v", err)
		}
		if err := os.WriteFile(b.conf, []byte(conf), 0o644); err != nil {
			t.Fatalf("mqtttest: %v", err)
		}
		b.URL = "ssl://127.0.0.1:" + strconv.Itoa(b.port)
		err = b.start()
		if err == nil {
			return b
		}
		if attempt == 3 || !strings.Contains(b.Log(), "Address already in use") {
			t.Fatalf("mqtttest: %v\nmosquitto log:\n%s", err, b.Log())
		}
	}
}

// ClientCert returns a client certificate and key for cn, issued by the
// broker's CA. Asking again for the same cn returns the same files.
func (b *Broker) ClientCert(t testing.TB, cn string) (certFile, keyFile string) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	certFile, keyFile, err := b.clientCert(cn)
	if err != nil {
		t.Fatalf("mqtttest: %v", err)
	}
	return certFile, keyFile
}

// clientCert issues cn's certificate once; b.mu is held.
func (b *Broker) clientCert(cn string) (certFile, keyFile string, err error) {
	dir := filepath.Join(b.Dir, "clients")
	certFile, keyFile = filepath.Join(dir, cn+".pem"), filepath.Join(dir, cn+".key")
	if _, err := os.Stat(certFile); err == nil {
		return certFile, keyFile, nil
	}
	return b.ca.IssueClient(dir, cn)
}

// Revoke revokes cn's certificate in the broker's CA, which writes the CRL
// again, and restarts the broker: Mosquitto reads its crlfile when it starts.
func (b *Broker) Revoke(t testing.TB, cn string) {
	t.Helper()
	certFile, _ := b.ClientCert(t, cn)
	if _, err := b.ca.RevokeCert(certFile, time.Now()); err != nil {
		t.Fatalf("mqtttest: %v", err)
	}
	b.Restart(t)
}

// Reload sends the broker SIGHUP, as `systemctl reload mosquitto` does, and
// waits until it has read its config again: Mosquitto 2.0 then also reads
// its crlfile, so a revocation takes effect without dropping every client.
func (b *Broker) Reload(t testing.TB) {
	t.Helper()
	before := strings.Count(b.Log(), "Reloading config")
	b.mu.Lock()
	var err error
	if b.cmd == nil {
		err = errors.New("broker not running")
	} else {
		err = b.cmd.Process.Signal(syscall.SIGHUP)
	}
	b.mu.Unlock()
	if err != nil {
		t.Fatalf("mqtttest: reload: %v", err)
	}
	for deadline := time.Now().Add(readyTimeout); strings.Count(b.Log(), "Reloading config") == before; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("mqtttest: the broker did not log a reload within %v\nmosquitto log:\n%s", readyTimeout, b.Log())
		}
	}
}

// CADir is the directory of the broker's CA, for tests that run the city's
// commands on it.
func (b *Broker) CADir() string { return filepath.Join(b.Dir, "ca") }

// TLSConfig returns a TLS config for a client with certificate CN cn that
// trusts only the broker's CA: ready for paho's SetTLSConfig.
func (b *Broker) TLSConfig(t testing.TB, cn string) *tls.Config {
	t.Helper()
	certFile, keyFile := b.ClientCert(t, cn)
	cfg, err := b.tlsConfig(certFile, keyFile)
	if err != nil {
		t.Fatalf("mqtttest: %v", err)
	}
	return cfg
}

func (b *Broker) tlsConfig(certFile, keyFile string) (*tls.Config, error) {
	return tlsfiles.Client(b.CAFile, certFile, keyFile)
}

// Stop stops the broker with SIGTERM, so it saves its persistence file, and
// waits for it to exit. The port stays the broker's for Restart.
func (b *Broker) Stop(t testing.TB) {
	t.Helper()
	if err := b.stop(); err != nil {
		t.Fatalf("mqtttest: %v\nmosquitto log:\n%s", err, b.Log())
	}
}

// Restart starts the broker again, stopping it first if it runs, on the same
// port with the same config and persistence, and waits until it is ready.
func (b *Broker) Restart(t testing.TB) {
	t.Helper()
	b.Stop(t)
	if err := b.start(); err != nil {
		t.Fatalf("mqtttest: restart: %v\nmosquitto log:\n%s", err, b.Log())
	}
}

// Pid returns the running broker's process id, 0 while it is stopped: the
// benchmarks read its CPU time and memory.
func (b *Broker) Pid() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd == nil {
		return 0
	}
	return b.cmd.Process.Pid
}

// Log returns what mosquitto has logged so far, over all its runs.
func (b *Broker) Log() string { return b.log.String() }

func (b *Broker) start() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd != nil {
		return errors.New("mosquitto is already running")
	}
	cmd := exec.Command(b.bin, "-c", b.conf)
	cmd.Dir = b.Dir
	cmd.Stdout, cmd.Stderr = b.log, b.log
	b.log.mark("mqtttest: starting " + strings.Join(cmd.Args, " "))
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start mosquitto: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	b.cmd, b.exited = cmd, exited

	certFile, keyFile, err := b.clientCert(probeCN)
	if err != nil {
		return err
	}
	cfg, err := b.tlsConfig(certFile, keyFile)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(readyTimeout)
	for {
		err := probe(b.port, cfg)
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			b.cmd = nil
			return fmt.Errorf("mosquitto exited: %v", cmd.ProcessState)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("mosquitto not ready after %v: %w", readyTimeout, err)
		}
	}
}

func (b *Broker) stop() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd == nil {
		return nil
	}
	cmd, exited := b.cmd, b.exited
	b.cmd = nil
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		return nil
	case <-time.After(stopTimeout):
		cmd.Process.Kill()
		<-exited
		return fmt.Errorf("mosquitto did not stop within %v of SIGTERM; killed", stopTimeout)
	}
}

// probe connects as an MQTT 3.1.1 client with a clean session and waits for
// an accepting CONNACK: then TLS, the client certificate and the broker's
// event loop all work.
func probe(port int, cfg *tls.Config) error {
	d := &net.Dialer{Timeout: time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), cfg)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	id := probeCN
	body := append([]byte{0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 10, 0, byte(len(id))}, id...)
	if _, err := conn.Write(append([]byte{0x10, byte(len(body))}, body...)); err != nil {
		return err
	}
	ack := make([]byte, 4)
	if _, err := io.ReadFull(conn, ack); err != nil {
		return fmt.Errorf("read CONNACK: %w", err)
	}
	if !bytes.Equal(ack, []byte{0x20, 2, 0, 0}) {
		return fmt.Errorf("CONNACK % x, want 20 02 00 00", ack)
	}
	conn.Write([]byte{0xe0, 0}) // DISCONNECT
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// moduleRoot finds the repository from the test's working directory, which
// is its package's directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "deploy", "mosquitto", "acl")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("deploy/mosquitto/acl not found above the working directory")
		}
		dir = parent
	}
}

// logBuffer collects mosquitto's output over all its runs.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) mark(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(&l.buf, "%s\n", s)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
