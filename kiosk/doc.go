// Package kiosk serves the box's local web UI: for now the status page a
// technician or guard sees (device health, the latest entries, the sync
// backlog), updated live by server-sent events. It knows nothing of the
// agent: the agent hands it a Source.
package kiosk
