-- When a gallery's manifest was staged, so that one left half received is
-- purged with its chunks. Manifests staged before this migration count
-- from now.
ALTER TABLE city_gallery_manifest ADD COLUMN staged_ns INTEGER NOT NULL DEFAULT 0;
UPDATE city_gallery_manifest SET staged_ns = CAST(strftime('%s', 'now') AS INTEGER) * 1000000000;
