package door_test

import (
	"strings"
	"testing"

	"github.com/roomgate/roomgate/devices/door"
	config "github.com/roomgate/roomgate/firmware-config"
)

// TestOpenGPIOErrors covers what fails before any line is requested, so it
// needs no GPIO chip; gpiosim_test.go covers the rest on a real kernel.
func TestOpenGPIOErrors(t *testing.T) {
	tests := []struct {
		name  string
		lines map[config.Role]config.Line
		want  string
	}{
		{"no relay", map[config.Role]config.Line{config.RoleDoorSensor: {Chip: "gpiochip0", Offset: 1}}, "door: no relay line configured"},
		{"unknown role", map[config.Role]config.Line{config.RoleRelay: {Chip: "gpiochip0"}, "siren": {Chip: "gpiochip0", Offset: 2}}, `door: unknown gpio role "siren"`},
		{"missing chip", map[config.Role]config.Line{config.RoleRelay: {Chip: "/dev/gpiochip-none", Offset: 17}}, "door: relay: open /dev/gpiochip-none: "},
		{"not a chip", map[config.Role]config.Line{config.RoleRelay: {Chip: "/dev/null", Offset: 17}}, "door: relay: open /dev/null: not a character device"},
		{"missing label", map[config.Role]config.Line{config.RoleRelay: {Chip: "label:no-such-chip", Offset: 17}}, `door: relay: no gpio chip labelled "no-such-chip"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := door.OpenGPIO(tt.lines, nil, nil)
			if err == nil {
				g.Close()
				t.Fatalf("OpenGPIO(%v) = nil error, want %q", tt.lines, tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("OpenGPIO(%v) = %q, want prefix %q", tt.lines, err, tt.want)
			}
		})
	}
}
