// Package store keeps the box's records in SQLite (modernc.org/sqlite): entries,
// door events, the outbox the sync engine drains, pass use counts, issuer keys,
// revocations and visits registered in advance. Every record is written together
// with its outbox row in one transaction, with synchronous=FULL, before anyone is
// told that it happened.
package store
