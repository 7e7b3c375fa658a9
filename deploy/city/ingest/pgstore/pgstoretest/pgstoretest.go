package pgstoretest

import (
	"context"
	"fmt"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/roomgate/roomgate/deploy/city/ingest/pgstore"
	"github.com/roomgate/roomgate/internal/pgtest"
)

// Cluster is a PostgreSQL cluster for one test.
type Cluster struct {
	dsn string
	n   atomic.Int64
}

// Start starts a cluster that lives until t ends.
func Start(t testing.TB) *Cluster {
	t.Helper()
	return &Cluster{dsn: pgtest.Start(t)}
}

// DSN creates a new empty database and returns its DSN.
func (c *Cluster) DSN(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.dsn)
	if err != nil {
		t.Fatalf("pgstoretest: %v", err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("store%d", c.n.Add(1))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgstoretest: %v", err)
	}
	u, err := url.Parse(c.dsn)
	if err != nil {
		t.Fatalf("pgstoretest: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// Open opens a store on a new empty database, closed when t ends.
func (c *Cluster) Open(t testing.TB) *pgstore.Store {
	t.Helper()
	dsn := c.DSN(t)
	s, err := pgstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("pgstore.Open(%s) = %v", dsn, err)
	}
	t.Cleanup(s.Close)
	return s
}
