-- The boxes of each site, as the sources of their events name them: ingest
-- tells each of them how often a pass was used at the site. Filled from
-- the events stored before, and by every save after.
CREATE TABLE site_devices (
    site   text NOT NULL,
    device text NOT NULL,
    PRIMARY KEY (site, device)
);
INSERT INTO site_devices (site, device)
    SELECT DISTINCT split_part(substr(source, 12), '/', 1), device FROM events
    WHERE starts_with(source, 'roomgate://') AND split_part(substr(source, 12), '/', 1) <> ''
    ON CONFLICT DO NOTHING;

-- A pass's entries, counted on every grant of it.
CREATE INDEX events_pass ON events ((data->>'pass_id'))
    WHERE type = 'vn.roomgate.entry.v1';
