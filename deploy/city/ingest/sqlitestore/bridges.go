package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/roomgate/roomgate/agent/event"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/deploy/city/ingest"
)

// RecordSchedule records sched as the schedule published to device at at,
// replacing the one recorded before, unless that one has a newer version
// (the box, too, ignores an older schedule). It reports whether it did.
func (s *Store) RecordSchedule(ctx context.Context, device string, sched wire.Schedule, at time.Time) (bool, error) {
	recorded := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		recorded = false
		res, err := tx.ExecContext(ctx, `INSERT INTO schedules (device, version, published_at) VALUES (?, ?, ?)
			ON CONFLICT (device) DO UPDATE SET version = excluded.version, published_at = excluded.published_at
			WHERE schedules.version <= excluded.version`, device, sched.Version, at.UTC().Format(timeFormat))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		recorded = true
		if _, err := tx.ExecContext(ctx, `DELETE FROM scheduled_meetings WHERE device = ?`, device); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO scheduled_meetings (device, id, title, room, start, "end", bridge) VALUES (?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, m := range sched.Meetings {
			var bridge *string
			if m.Bridge != nil {
				b, err := json.Marshal(m.Bridge)
				if err != nil {
					return err
				}
				bridge = new(string)
				*bridge = string(b)
			}
			if _, err := stmt.ExecContext(ctx, device, m.ID, m.Title, m.Room, m.Start.UTC().Format(timeFormat), m.End.UTC().Format(timeFormat), bridge); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("sqlitestore: record schedule of %s: %w", device, err)
	}
	return recorded, nil
}

// bridgesQuery is pgstore's without LATERAL: correlated subqueries pick
// each box's meeting id, latest call and latest failure.
const bridgesQuery = `
SELECT x.device, m.id, m.title, m.room, m.start, m."end", m.bridge, x.call, x.failure FROM (
	SELECT d.device,
		(SELECT id FROM scheduled_meetings WHERE device = d.device AND "end" > ?1 AND start <= ?2 ORDER BY start, id LIMIT 1) AS meeting,
		(SELECT data FROM events WHERE device = d.device AND type = '` + event.TypeCall + `' AND time <= ?1 ORDER BY time DESC LIMIT 1) AS call,
		(SELECT data FROM events WHERE device = d.device AND type = '` + event.TypeCall + `'
			AND json_extract(data, '$.state') IN ('` + wire.CallFailed + `', '` + wire.CallDropped + `') AND time <= ?1 ORDER BY time DESC LIMIT 1) AS failure
	FROM (SELECT device FROM schedules sc WHERE EXISTS (SELECT 1 FROM scheduled_meetings m WHERE m.device = sc.device AND m.bridge IS NOT NULL)
	      UNION
	      SELECT device FROM site_devices sd WHERE EXISTS (SELECT 1 FROM events e WHERE e.device = sd.device AND e.type = '` + event.TypeCall + `')) AS d
) AS x
LEFT JOIN scheduled_meetings m ON m.device = x.device AND m.id = x.meeting
ORDER BY x.device`

// Bridges returns, by device, what the city knows of each box's bridge at
// at; a meeting counts as next when it starts within within of at.
func (s *Store) Bridges(ctx context.Context, at time.Time, within time.Duration) ([]ingest.RoomBridge, error) {
	// time <= at compares text: at needs all nine fraction digits, as
	// events.time has them.
	rows, err := s.db.QueryContext(ctx, bridgesQuery, at.UTC().Format(timeFormat), at.Add(within).UTC().Format(timeFormat))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: bridges: %w", err)
	}
	defer rows.Close()
	var out []ingest.RoomBridge
	for rows.Next() {
		var b ingest.BridgeRow
		var start, end *string
		if err := rows.Scan(&b.Device, &b.MeetingID, &b.Title, &b.Room, &start, &end, &b.Bridge, &b.Call, &b.Failure); err != nil {
			return nil, fmt.Errorf("sqlitestore: bridges: %w", err)
		}
		for _, t := range []struct {
			text *string
			into **time.Time
		}{{start, &b.Start}, {end, &b.End}} {
			if t.text == nil {
				continue
			}
			v, err := time.Parse(time.RFC3339Nano, *t.text)
			if err != nil {
				return nil, fmt.Errorf("sqlitestore: bridges: %s: %w", b.Device, err)
			}
			*t.into = &v
		}
		r, err := b.RoomBridge()
		if err != nil {
			return nil, fmt.Errorf("sqlitestore: bridges: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlitestore: bridges: %w", err)
	}
	return out, nil
}
