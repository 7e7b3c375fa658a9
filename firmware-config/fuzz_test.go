package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/devices/terminal/generic"
)

// FuzzParse: any input gives a config or a *ValidationError with one problem
// per line, never a panic; an accepted config has usable GPIO lines and
// keys, and a generic terminal's definition that compiles.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("examples/*.yaml")
	more, _ := filepath.Glob("testdata/invalid/*.yaml")
	for _, name := range append(seeds, more...) {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(minimal))
	f.Add([]byte("a: &a [*a]"))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("examples/f.yaml", data)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Errors) == 0 {
				t.Fatalf("Parse() = %v, want a *ValidationError", err)
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != len(ve.Errors) {
				t.Fatalf("report has %d lines for %d problems:\n%s", n, len(ve.Errors), err)
			}
			return
		}
		if _, err := c.Lines(); err != nil {
			t.Fatalf("Parse() accepted a config whose Lines() = %v", err)
		}
		if _, err := c.PublicKeys("examples"); err != nil {
			t.Fatalf("Parse() accepted a config whose PublicKeys() = %v", err)
		}
		if c.Terminal.Kind == "generic" {
			if _, err := generic.New(c.Terminal.Generic, ""); err != nil {
				t.Fatalf("Parse() accepted a generic terminal whose definition does not compile: %v", err)
			}
		}
	})
}
