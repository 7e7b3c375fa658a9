-- time was written with trailing zeros trimmed (RFC 3339 with nanoseconds),
-- which does not sort as text: "08:00:00.5Z" sorted after "08:00:00.50001Z"
-- and "08:00:00Z" after every fraction of that second. From now on it has
-- nine fraction digits; pad the rows written before.
UPDATE events
SET time = substr(time, 1, 19) || '.' ||
    substr(CASE WHEN substr(time, 20, 1) = '.' THEN substr(time, 21, length(time) - 21) ELSE '' END || '000000000', 1, 9) || 'Z'
WHERE length(time) < 30 AND substr(time, 20, 1) IN ('.', 'Z') AND substr(time, -1) = 'Z';

-- Listings of the newest events across devices (roomgate-city events)
-- read this index backwards instead of sorting the whole table.
CREATE INDEX events_time ON events (time);
