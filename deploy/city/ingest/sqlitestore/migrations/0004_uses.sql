-- The boxes of each site, as the sources of their events name them: ingest
-- tells each of them how often a pass was used at the site. Filled from
-- the events stored before, and by every save after.
CREATE TABLE site_devices (
    site   TEXT NOT NULL,
    device TEXT NOT NULL,
    PRIMARY KEY (site, device)
) WITHOUT ROWID;
INSERT OR IGNORE INTO site_devices (site, device)
    SELECT DISTINCT substr(source, 12, instr(substr(source, 12), '/') - 1), device FROM events
    WHERE source LIKE 'roomgate://%/%';

-- A pass's entries, counted on every grant of it.
CREATE INDEX events_pass ON events (json_extract(data, '$.pass_id'))
    WHERE type = 'vn.roomgate.entry.v1';
