// Package config reads a roomgate box's YAML configuration.
//
// Load and Parse decode the file, fill in defaults (listed once, in
// defaults.go) and validate everything, reporting every problem at once as
// a *ValidationError whose lines read "file:line: field: reason", so that a
// technician can fix a config in one pass. A field that was left out is
// reported at the line of the section that should hold it.
//
// The board (rpi4, rpi5, generic, sim) chooses a default GPIO map that the
// gpio section overrides role by role; Config.Lines returns the result.
// Config.PublicKeys decodes the pass issuers' Ed25519 keys.
//
// The vision section configures face check-in; without a camera the box is
// QR-only. Its quality gate is a quality.Config and its agreement rule
// becomes a track.Config (Vision.Track), with the defaults of those pure Go
// packages, so that the engine's thresholds are defined in one place.
//
// The terminal section names the room's conference terminal and the rules
// of its calls; a box without one leaves it out (Config.HasTerminal). A
// generic terminal's line protocol is a generic.Definition, given inline or
// in a file of its own (examples/terminals/vct-100.yaml is the worked
// example), checked by that package as the quality and track sections are
// by theirs. Secrets (the terminal's password, an SSH key) stay in files
// readable by the agent only; Terminal.Password reads one.
//
// schema/roomgate.schema.json is a JSON Schema for editors, generated from
// the Go types, their comments and the rule tables in rules.go; a test fails
// when it is out of date.
package config

//go:generate go test -run ^TestSchema$ -update
