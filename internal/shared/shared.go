package shared

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Dir returns $ROOMGATE_SHARED if set, else the "shared" directory beside
// the module root (the nearest parent of the working directory holding
// go.mod), whether or not it exists; use Path to check.
func Dir() string {
	if d := os.Getenv("ROOMGATE_SHARED"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		return "../shared"
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(d), "shared")
		}
		if filepath.Dir(d) == d {
			return filepath.Join(wd, "shared")
		}
	}
}

// Path returns Dir()/rel, or an error naming the path when it is missing.
func Path(rel string) (string, error) {
	p := filepath.Join(Dir(), rel)
	if _, err := os.Stat(p); err != nil {
		return p, fmt.Errorf("shared data %s is missing (expected at ../shared beside the checkout, or set ROOMGATE_SHARED): %v", p, err)
	}
	return p, nil
}

// Need returns Dir()/rel for a test, skipping the test with the missing
// path named when it is not there.
func Need(t testing.TB, rel string) string {
	t.Helper()
	p, err := Path(rel)
	if err != nil {
		t.Skip(err)
	}
	return p
}
