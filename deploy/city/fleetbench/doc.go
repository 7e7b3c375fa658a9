// Package fleetbench runs a whole city at once: hundreds of simulated boxes
// in one process, each with the agent's real citylink and its own SQLite
// store and client certificate, against a real Mosquitto with the shipped
// TLS and ACL config and real `roomgate-city ingest` processes writing to
// PostgreSQL. Its tests and benchmarks print one table per scenario and
// end each with a count at the city: nothing lost, nothing stored twice.
//
//	go test -count=1 ./deploy/city/fleetbench/            # 50 boxes, CI
//	make bench-fleet                                     # 789 boxes, every scenario
package fleetbench
