// Package sqlitestore is the city's event store in one SQLite file, the
// demo default: the whole city side runs on a laptop without PostgreSQL.
package sqlitestore
