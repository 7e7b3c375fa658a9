// Package syncbench holds the end-to-end sync benchmark: the agent binary
// draining its outbox through Mosquitto into ingest and PostgreSQL, beside
// raw paho publishing to the same broker. It lives outside agent/ because
// the raw baseline imports paho, which only agent/citylink may do there.
package syncbench
