package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
)

// QuickCheck runs SQLite's PRAGMA quick_check on the store: ["ok"], or
// what it found wrong (the self-test shows it).
func (s *Store) QuickCheck(ctx context.Context) ([]string, error) {
	return quickCheck(ctx, s.db)
}

// QuickCheckFile runs PRAGMA quick_check on the store at path, opened
// read-only, for the self-test while the agent is stopped: nothing is
// migrated or made.
func QuickCheckFile(ctx context.Context, path string) ([]string, error) {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", "busy_timeout(5000)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open store %q: %w", path, err)
	}
	defer db.Close()
	return quickCheck(ctx, db)
}

func quickCheck(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `PRAGMA quick_check`)
	if err != nil {
		return nil, fmt.Errorf("quick_check: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, fmt.Errorf("quick_check: %w", err)
		}
		out = append(out, line)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("quick_check: %w", err)
	}
	return out, nil
}
