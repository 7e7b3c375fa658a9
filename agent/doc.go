// Package agent wires the box together: it opens the store, the door, the
// scanners and the local web server named by the config, runs the gate, and
// puts the door in its safe state whenever it stops. Only this package
// chooses drivers.
package agent
