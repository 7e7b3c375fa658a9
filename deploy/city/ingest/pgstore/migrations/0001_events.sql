-- Events from the boxes, each stored once: (source, id) is the idempotency key.
CREATE TABLE events (
    source      text        NOT NULL,
    id          text        NOT NULL,
    type        text        NOT NULL,
    time        timestamptz NOT NULL,
    device      text        NOT NULL,
    data        jsonb       NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, id)
);
CREATE INDEX events_device_time ON events (device, time);

-- What a box sent that was not a valid event of its own, with the reason.
-- raw is bytea: whatever arrived can be kept, even bytes text refuses.
CREATE TABLE rejected_events (
    seq         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device      text        NOT NULL,
    event_id    text        NOT NULL,
    reason      text        NOT NULL,
    raw         bytea       NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rejected_events_device ON rejected_events (device, received_at);
