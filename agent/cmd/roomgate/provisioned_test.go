package main

import (
	"context"
	"github.com/roomgate/roomgate/internal/logbuf"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The package's config names no box: the agent waits, without running,
// until provisioning has written a config that validates, and runs on that
// one; a config that names its box runs as it is.
func TestAwaitProvisioned(t *testing.T) {
	etc, state := t.TempDir(), t.TempDir()
	path := filepath.Join(etc, "roomgate.yaml")
	if err := os.WriteFile(path, []byte("board: generic\nhttp: {listen: \"127.0.0.1:0\"}\nprovisioning: {dir: "+state+"/provisioning}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &logbuf.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	got := make(chan string, 1)
	go func() {
		p, err := awaitProvisioned(context.Background(), path, log, nil)
		if err != nil {
			t.Error(err)
		}
		got <- p
	}()
	waitLog := func(want string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), want); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no %q in the log:\n%s", want, logs.String())
			}
		}
	}
	waitLog("unprovisioned: waiting")
	own := filepath.Join(state, "provisioning", "roomgate.yaml")
	if err := os.MkdirAll(filepath.Dir(own), 0o700); err != nil {
		t.Fatal(err)
	}
	// Half a config (no identity, not the package's either) is not run.
	if err := os.WriteFile(own, []byte("board: sim\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitLog("does not validate")
	select {
	case p := <-got:
		t.Fatalf("awaitProvisioned returned %q for an invalid config", p)
	default:
	}
	if err := os.WriteFile(own, []byte(boxYAML(t, "/dev/ttyUSB0", state, "3s", "")), 0o600); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-got:
		if p != own {
			t.Errorf("awaitProvisioned = %q, want %q", p, own)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the provisioned config was not taken within 10 s:\n%s", logs.String())
	}

	// A config that names its box needs no provisioning.
	if p, err := awaitProvisioned(context.Background(), own, log, nil); p != own || err != nil {
		t.Errorf("awaitProvisioned(full config) = %q, %v", p, err)
	}
	// Stopped while waiting: no config, no error.
	if err := os.Remove(own); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if p, err := awaitProvisioned(ctx, path, log, nil); p != "" || err != nil {
		t.Errorf("awaitProvisioned(stopped) = %q, %v", p, err)
	}
}
