// Package pgstore is the city's event store in PostgreSQL, the production
// home of what roomgate boxes send: one transaction per message, each event
// stored once by (source, id).
package pgstore
