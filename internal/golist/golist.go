// Package golist runs `go list` for the tests that hold packages to their
// dependency rules (the gate-only agent without cgo, paho behind one
// package, the verifier on the standard library only).
package golist

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Package is what the rules look at.
type Package struct {
	ImportPath string
	Standard   bool
	CgoFiles   []string
	Imports    []string
}

// Deps lists the packages args build from, themselves included, as a build
// with CGO_ENABLED=0 (the gate-only agent's) sees them.
func Deps(t testing.TB, args ...string) []Package {
	t.Helper()
	return list(t, append([]string{"-deps"}, args...))
}

// List lists the packages that args name.
func List(t testing.TB, args ...string) []Package {
	t.Helper()
	return list(t, args)
}

func list(t testing.TB, args []string) []Package {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-e", "-json=ImportPath,Standard,CgoFiles,Imports"}, args...)...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var pkgs []Package
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p Package
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			return pkgs
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
}
