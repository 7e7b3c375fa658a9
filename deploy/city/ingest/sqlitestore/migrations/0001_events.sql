-- Events from the boxes, each stored once: (source, id) is the idempotency key.
-- time is RFC 3339 in UTC with nanoseconds; received_at is Unix nanoseconds.
CREATE TABLE events (
    source      TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    time        TEXT    NOT NULL,
    device      TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (source, id)
) WITHOUT ROWID;
CREATE INDEX events_device_time ON events (device, time);

-- What a box sent that was not a valid event of its own, with the reason.
CREATE TABLE rejected_events (
    seq         INTEGER PRIMARY KEY,
    device      TEXT    NOT NULL,
    event_id    TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    raw         BLOB    NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX rejected_events_device ON rejected_events (device, received_at);
