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
// schema/roomgate.schema.json is a JSON Schema for editors, generated from
// the Go types, their comments and the rule tables in rules.go; a test fails
// when it is out of date.
package config

//go:generate go test -run ^TestSchema$ -update
