package pgtest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Database is the database Start creates.
const Database = "roomgate"

// settings are appended to the cluster's postgresql.conf. The socket stays
// inside the data directory so clusters of parallel tests do not meet.
const settings = `
listen_addresses = '127.0.0.1'
port = %d
unix_socket_directories = '%s'
fsync = on
synchronous_commit = on
full_page_writes = on
logging_collector = off
`

// Start initialises and starts a PostgreSQL cluster and returns a DSN for
// pgx that connects to its database roomgate as user postgres. The test
// fails if PostgreSQL is not installed. Cleanup stops the cluster and
// removes it.
//
// initdb refuses to run as root, so a root test runs the server as user
// postgres, in a directory under the system's temporary directory that
// postgres owns (t.TempDir's parents are private to root).
func Start(t testing.TB) (dsn string) {
	t.Helper()
	bin, err := binDir()
	if err != nil {
		t.Fatal(err)
	}
	run, chown, err := runAs()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := chown(dir); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	data, logFile := filepath.Join(dir, "data"), filepath.Join(dir, "server.log")

	// --no-sync only skips initdb's own flush of the new cluster, which a
	// crash during the test would never depend on; the server syncs.
	if out, err := run(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
		"--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("pgtest: initdb: %v\n%s", err, out)
	}
	pgctl := filepath.Join(bin, "pg_ctl")
	started := false
	t.Cleanup(func() {
		if !started {
			return
		}
		if out, err := run(pgctl, "stop", "-D", data, "-m", "fast", "-w").CombinedOutput(); err != nil {
			t.Errorf("pgtest: pg_ctl stop: %v\n%s", err, out)
		}
	})

	conf := filepath.Join(data, "postgresql.conf")
	base, err := os.ReadFile(conf)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	// Another process may take the free port before the server binds it.
	var port int
	for attempt := 1; ; attempt++ {
		if port, err = freePort(); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
		if err := os.WriteFile(conf, append(base, fmt.Sprintf(settings, port, data)...), 0o600); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
		out, err := run(pgctl, "start", "-D", data, "-l", logFile, "-w", "-t", "60").CombinedOutput()
		if err == nil {
			started = true
			break
		}
		log, _ := os.ReadFile(logFile)
		if attempt == 3 || !strings.Contains(string(log), "could not bind") {
			t.Fatalf("pgtest: pg_ctl start: %v\n%s\nserver log:\n%s", err, out, log)
		}
	}
	if out, err := run(filepath.Join(bin, "createdb"), "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-U", "postgres", Database).CombinedOutput(); err != nil {
		t.Fatalf("pgtest: createdb: %v\n%s", err, out)
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", port, Database)
}

// binDir finds PostgreSQL's programs, which Debian keeps off PATH in
// /usr/lib/postgresql/VERSION/bin (the newest version wins); elsewhere they
// are found through pg_ctl on PATH.
func binDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if p, err = filepath.EvalSymlinks(p); err == nil {
			dirs = append(dirs, filepath.Dir(p))
		}
	}
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if hasAll(d, "initdb", "pg_ctl", "createdb") {
			return d, nil
		}
	}
	return "", errors.New("postgresql not found: apt-get install postgresql")
}

func hasAll(dir string, names ...string) bool {
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			return false
		}
	}
	return true
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// runAs returns how to run PostgreSQL's programs and how to hand a
// directory to the user they run as: user postgres when we are root, else
// ourselves.
func runAs() (run func(name string, args ...string) *exec.Cmd, chown func(string) error, err error) {
	if os.Geteuid() != 0 {
		return exec.Command, func(string) error { return nil }, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, nil, fmt.Errorf("user postgres: %w (apt-get install postgresql)", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	runuser, err := exec.LookPath("runuser")
	if err != nil {
		return nil, nil, fmt.Errorf("runuser not found: apt-get install util-linux")
	}
	run = func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command(runuser, append([]string{"-u", "postgres", "--", name}, args...)...)
		cmd.Dir = "/" // postgres may not enter the test's directory
		return cmd
	}
	return run, func(dir string) error { return os.Chown(dir, uid, gid) }, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
