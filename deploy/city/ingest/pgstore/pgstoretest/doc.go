// Package pgstoretest gives tests PostgreSQL event stores: one throwaway
// cluster per test (internal/pgtest) and a fresh database per store, so
// subtests do not pay for a cluster each.
package pgstoretest
