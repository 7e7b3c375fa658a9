// Package grafana holds the fleet's Grafana dashboard (roomgate-fleet.json)
// and the test that holds it to the metrics the agent and ingest expose.
package grafana
