// Package storetest is the suite every ingest.Store passes, so the
// PostgreSQL and SQLite stores keep the same promises.
package storetest
