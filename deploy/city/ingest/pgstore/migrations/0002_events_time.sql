-- Listings of the newest events across devices (roomgate-city events)
-- read this index backwards instead of sorting the whole table.
CREATE INDEX events_time ON events (time);
