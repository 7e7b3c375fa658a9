package pgtest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestStart(t *testing.T) {
	begin := time.Now()
	dsn := Start(t)
	t.Logf("cluster started in %v: %s", time.Since(begin).Round(time.Millisecond), dsn)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	var fsync string
	if err := conn.QueryRow(ctx, "SHOW fsync").Scan(&fsync); err != nil {
		t.Fatal(err)
	}
	if fsync != "on" {
		t.Errorf("SHOW fsync = %q, want on", fsync)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE events (id text PRIMARY KEY, body jsonb NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "INSERT INTO events VALUES ($1, $2)", "e1", `{"a":1}`); err != nil {
		t.Fatal(err)
	}
	var body string
	if err := conn.QueryRow(ctx, "SELECT body::text FROM events WHERE id = $1", "e1").Scan(&body); err != nil {
		t.Fatal(err)
	}
	if body != `{"a": 1}` {
		t.Errorf("SELECT body = %q, want %q", body, `{"a": 1}`)
	}
}

// Two clusters at once do not meet: each test gets its own.
func TestTwoClusters(t *testing.T) {
	ctx := context.Background()
	var dsns [2]string
	for i := range dsns {
		dsns[i] = Start(t)
	}
	if dsns[0] == dsns[1] {
		t.Fatalf("two clusters share the DSN %s", dsns[0])
	}
	for i, dsn := range dsns {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "CREATE TABLE only_here (n int)"); err != nil {
			t.Errorf("cluster %d: %v", i, err)
		}
		conn.Close(ctx)
	}
}
