-- The schedule roomgate-city publish meetings last sent to each box, so
-- that roomgate-city bridges knows each room's meeting now or next. A
-- schedule replaces the box's previous one whole, as on the box.
CREATE TABLE schedules (
    device       text        PRIMARY KEY,
    version      bigint      NOT NULL,
    published_at timestamptz NOT NULL
);
CREATE TABLE scheduled_meetings (
    device text        NOT NULL,
    id     text        NOT NULL,
    title  text        NOT NULL,
    room   text        NOT NULL,
    start  timestamptz NOT NULL,
    "end"  timestamptz NOT NULL,
    bridge jsonb,      -- wire.Bridge; NULL for a meeting without one
    PRIMARY KEY (device, id)
);
CREATE INDEX scheduled_meetings_end ON scheduled_meetings (device, "end");

-- Each box's latest call record, and its latest failure, read backwards
-- from these instead of from every event of the box.
CREATE INDEX events_call ON events (device, time)
    WHERE type = 'vn.roomgate.call.v1';
CREATE INDEX events_call_failed ON events (device, time)
    WHERE type = 'vn.roomgate.call.v1' AND data->>'state' IN ('failed', 'dropped');
