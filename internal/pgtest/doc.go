// Package pgtest starts a throwaway PostgreSQL cluster for tests: its own
// data directory, a free port on 127.0.0.1, trust authentication, fsync on
// (tests of durability must not run against a server that lies about it)
// and an empty database named roomgate.
package pgtest
