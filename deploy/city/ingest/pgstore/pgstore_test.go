package pgstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/roomgate/roomgate/deploy/city/ingest"
	"github.com/roomgate/roomgate/deploy/city/ingest/pgstore"
	"github.com/roomgate/roomgate/deploy/city/ingest/pgstore/pgstoretest"
	"github.com/roomgate/roomgate/deploy/city/ingest/storetest"
)

func TestPostgres(t *testing.T) {
	pg := pgstoretest.Start(t)
	t.Run("Suite", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) storetest.Store { return pg.Open(t) })
	})
	t.Run("Refused", func(t *testing.T) { testRefused(t, pg.Open(t)) })
	t.Run("ConcurrentOpen", func(t *testing.T) { testConcurrentOpen(t, pg.DSN(t)) })
	t.Run("BadDSN", testBadDSN)
}

// testRefused sends events that pass validation but that PostgreSQL will
// not store (jsonb takes no \u0000, numeric has limits): they become
// rejections and the rest of the batch is stored, so one such event cannot
// block a box's outbox forever.
func testRefused(t *testing.T, s *pgstore.Store) {
	ctx := context.Background()
	b := storetest.Batch("dev-a", 0, 4)
	b.Events[1].Data = json.RawMessage(`{"note":"nul \u0000 here"}`)
	b.Events[2].Data = json.RawMessage(`{"n":1e999999}`)
	b.Rejected = []ingest.Rejection{{ID: "x", Reason: "invalid", Raw: []byte(`{}`)}}
	got, err := s.Save(ctx, b)
	if want := (ingest.Saved{Stored: 2, Rejected: 3, Types: map[string]int{"vn.roomgate.entry.v1": 2}}); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Save(2 good, 2 refused, 1 rejected) = %+v, %v, want %+v", got, err, want)
	}
	rs, err := s.Rejections(ctx, "dev-a")
	if err != nil || len(rs) != 3 {
		t.Fatalf("Rejections(dev-a) = %+v, %v, want 3", rs, err)
	}
	for i, want := range []string{b.Events[1].ID, b.Events[2].ID} {
		r := rs[1+i]
		if r.ID != want || !strings.HasPrefix(r.Reason, "database refused the event") || string(r.Raw) != string(b.Events[1+i].Data) {
			t.Errorf("Rejections(dev-a)[%d] = %+v, want id %s refused by the database", 1+i, r, want)
		}
	}
	ids, err := s.IDs(ctx, "roomgate://hq/dev-a")
	if err != nil || len(ids) != 2 || ids[0] != b.Events[0].ID || ids[1] != b.Events[3].ID {
		t.Errorf("IDs = %v, %v, want %s and %s", ids, err, b.Events[0].ID, b.Events[3].ID)
	}
	// The same batch again: the good events are duplicates, the refused
	// ones are refused again (and recorded again).
	got, err = s.Save(ctx, b)
	if want := (ingest.Saved{Duplicates: 2, Rejected: 3}); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Save(same batch again) = %+v, %v, want %+v", got, err, want)
	}
}

// testConcurrentOpen opens several stores on a new database at once, as
// ingest processes starting together do: the migrations run once.
func testConcurrentOpen(t *testing.T, dsn string) {
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := pgstore.Open(context.Background(), dsn)
			if err != nil {
				t.Errorf("Open(%s) = %v", dsn, err)
				return
			}
			s.Close()
		}()
	}
	wg.Wait()
}

func testBadDSN(t *testing.T) {
	for _, dsn := range []string{"postgres://127.0.0.1:1/nothing?connect_timeout=2", "::not a dsn::"} {
		if s, err := pgstore.Open(context.Background(), dsn); err == nil {
			s.Close()
			t.Errorf("Open(%q) = nil, want an error", dsn)
		} else if errors.Is(err, pgstore.ErrNewerSchema) {
			t.Errorf("Open(%q) = %v, want a connection error", dsn, err)
		}
	}
}
