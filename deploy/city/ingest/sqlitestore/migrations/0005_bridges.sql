-- The schedule roomgate-city publish meetings last sent to each box, so
-- that roomgate-city bridges knows each room's meeting now or next. A
-- schedule replaces the box's previous one whole, as on the box. Times
-- are kept as events.time is.
CREATE TABLE schedules (
    device       TEXT    PRIMARY KEY,
    version      INTEGER NOT NULL,
    published_at TEXT    NOT NULL
) WITHOUT ROWID;
CREATE TABLE scheduled_meetings (
    device TEXT NOT NULL,
    id     TEXT NOT NULL,
    title  TEXT NOT NULL,
    room   TEXT NOT NULL,
    start  TEXT NOT NULL,
    "end"  TEXT NOT NULL,
    bridge TEXT,          -- wire.Bridge as JSON; NULL for a meeting without one
    PRIMARY KEY (device, id)
) WITHOUT ROWID;
CREATE INDEX scheduled_meetings_end ON scheduled_meetings (device, "end");

-- Each box's latest call record, and its latest failure.
CREATE INDEX events_call ON events (device, time)
    WHERE type = 'vn.roomgate.call.v1';
CREATE INDEX events_call_failed ON events (device, time)
    WHERE type = 'vn.roomgate.call.v1' AND json_extract(data, '$.state') IN ('failed', 'dropped');
