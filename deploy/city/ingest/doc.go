// Package ingest is the city's receiving end of the roomgate event flow: it
// takes the boxes' event batches from the broker, stores each event exactly
// once, and only then tells the box, on its ack topic, that it may forget
// them.
//
// The order of things is the promise: validate, store in one transaction,
// commit, publish the ack and wait for the broker's PUBACK, and only then
// acknowledge the incoming message to the broker. Ingest dying at any
// point leaves the message unacknowledged in its persistent session, so
// the broker delivers it again; storing is idempotent, so a second
// delivery costs a duplicate count and a second ack, never a second row.
package ingest
