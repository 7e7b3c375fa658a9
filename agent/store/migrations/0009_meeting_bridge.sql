-- The video bridge a meeting is held on; an empty dial string is none.
ALTER TABLE meetings ADD COLUMN bridge_dial TEXT NOT NULL DEFAULT '';
ALTER TABLE meetings ADD COLUMN bridge_protocol TEXT NOT NULL DEFAULT '';
ALTER TABLE meetings ADD COLUMN bridge_speed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE meetings ADD COLUMN bridge_auto_join INTEGER NOT NULL DEFAULT 0;
