package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/roomgate/roomgate/agent/event"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/deploy/city/ingest"
)

// RecordSchedule records sched as the schedule published to device at at,
// replacing the one recorded before, unless that one has a newer version
// (the box, too, ignores an older schedule). It reports whether it did.
func (s *Store) RecordSchedule(ctx context.Context, device string, sched wire.Schedule, at time.Time) (bool, error) {
	recorded := false
	err := s.with(ctx, func(ctx context.Context, c *pgx.Conn) error {
		recorded = false
		return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `INSERT INTO schedules (device, version, published_at) VALUES ($1, $2, $3)
				ON CONFLICT (device) DO UPDATE SET version = excluded.version, published_at = excluded.published_at
				WHERE schedules.version <= excluded.version`, device, sched.Version, at)
			if err != nil || tag.RowsAffected() == 0 {
				return err
			}
			recorded = true
			if _, err := tx.Exec(ctx, `DELETE FROM scheduled_meetings WHERE device = $1`, device); err != nil {
				return err
			}
			n := len(sched.Meetings)
			ids, titles, rooms, bridges := make([]string, n), make([]string, n), make([]string, n), make([]*string, n)
			starts, ends := make([]time.Time, n), make([]time.Time, n)
			for i, m := range sched.Meetings {
				ids[i], titles[i], rooms[i], starts[i], ends[i] = text(m.ID), text(m.Title), text(m.Room), m.Start, m.End
				if m.Bridge != nil {
					b, err := json.Marshal(m.Bridge)
					if err != nil {
						return err
					}
					bridges[i] = new(string)
					*bridges[i] = string(b)
				}
			}
			_, err = tx.Exec(ctx, `INSERT INTO scheduled_meetings (device, id, title, room, start, "end", bridge)
				SELECT $1, i, t, r, s, e, b::jsonb FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::text[]) AS u(i, t, r, s, e, b)`,
				device, ids, titles, rooms, starts, ends, bridges)
			return err
		})
	})
	if err != nil {
		return false, fmt.Errorf("pgstore: record schedule of %s: %w", device, err)
	}
	return recorded, nil
}

// bridgesQuery lists the boxes with a bridge in their schedule or a call
// record, each with its meeting in progress at $1 or starting by $2, its
// latest call record up to $1 and its latest failure up to $1. Each part
// is one probe of an index per box (scheduled_meetings_end, events_call,
// events_call_failed), so the query costs per box, not per event stored.
const bridgesQuery = `
SELECT d.device, m.id, m.title, m.room, m.start, m."end", m.bridge::text, c.data::text, f.data::text
FROM (SELECT device FROM schedules sc WHERE EXISTS (SELECT FROM scheduled_meetings m WHERE m.device = sc.device AND m.bridge IS NOT NULL)
      UNION
      SELECT device FROM site_devices sd WHERE EXISTS (SELECT FROM events e WHERE e.device = sd.device AND e.type = '` + event.TypeCall + `')) AS d
LEFT JOIN LATERAL (SELECT * FROM scheduled_meetings
	WHERE device = d.device AND "end" > $1 AND start <= $2 ORDER BY start, id LIMIT 1) AS m ON true
LEFT JOIN LATERAL (SELECT data FROM events
	WHERE device = d.device AND type = '` + event.TypeCall + `' AND time <= $1 ORDER BY time DESC LIMIT 1) AS c ON true
LEFT JOIN LATERAL (SELECT data FROM events
	WHERE device = d.device AND type = '` + event.TypeCall + `' AND data->>'state' IN ('` + wire.CallFailed + `', '` + wire.CallDropped + `')
	AND time <= $1 ORDER BY time DESC LIMIT 1) AS f ON true
ORDER BY d.device`

// Bridges returns, by device, what the city knows of each box's bridge at
// at; a meeting counts as next when it starts within within of at.
func (s *Store) Bridges(ctx context.Context, at time.Time, within time.Duration) ([]ingest.RoomBridge, error) {
	var out []ingest.RoomBridge
	err := s.with(ctx, func(ctx context.Context, c *pgx.Conn) error {
		rows, err := c.Query(ctx, bridgesQuery, at, at.Add(within))
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (ingest.RoomBridge, error) {
			var b ingest.BridgeRow
			if err := row.Scan(&b.Device, &b.MeetingID, &b.Title, &b.Room, &b.Start, &b.End, &b.Bridge, &b.Call, &b.Failure); err != nil {
				return ingest.RoomBridge{}, err
			}
			return b.RoomBridge()
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: bridges: %w", err)
	}
	return out, nil
}
