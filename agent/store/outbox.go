package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// OutboxEvent is one record waiting for the city, as the sync engine sends it.
type OutboxEvent struct {
	Seq     int64
	ID      string
	Payload []byte
}

// Pending returns unacknowledged events after afterSeq, oldest first, up to
// maxEvents and maxBytes of payload (at least one event, however large).
func (s *Store) Pending(ctx context.Context, afterSeq int64, maxEvents, maxBytes int) ([]OutboxEvent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, id, payload FROM outbox WHERE seq > ? AND acked_ns IS NULL ORDER BY seq LIMIT ?`, afterSeq, maxEvents)
	if err != nil {
		return nil, fmt.Errorf("store: pending: %w", err)
	}
	defer rows.Close()
	var out []OutboxEvent
	size := 0
	for rows.Next() {
		var ev OutboxEvent
		if err := rows.Scan(&ev.Seq, &ev.ID, &ev.Payload); err != nil {
			return nil, fmt.Errorf("store: pending: %w", err)
		}
		if len(out) > 0 && size+len(ev.Payload) > maxBytes {
			break
		}
		size += len(ev.Payload)
		out = append(out, ev)
	}
	return out, rows.Err()
}

// Ack marks events as stored by the city; unknown or already acknowledged
// ids are ignored. It returns how many were newly acknowledged.
func (s *Store) Ack(ctx context.Context, ids []string) (int, error) {
	now := time.Now().UnixNano()
	n := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `UPDATE outbox SET acked_ns = ? WHERE id = ? AND acked_ns IS NULL`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, id := range ids {
			res, err := stmt.ExecContext(ctx, now, id)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += int(k)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: ack: %w", err)
	}
	return n, nil
}

// PurgeAcked deletes events the city acknowledged before the given time.
func (s *Store) PurgeAcked(ctx context.Context, before time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM outbox WHERE acked_ns IS NOT NULL AND acked_ns < ?`, before.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("store: purge acked: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
