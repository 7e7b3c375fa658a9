-- The people this box recognises and their face templates (never photos).
-- A template is only comparable with others of the same model, hence the
-- model column and index: the gallery loads one model's rows.
CREATE TABLE people (
	id     TEXT PRIMARY KEY,
	name   TEXT NOT NULL,
	unit   TEXT NOT NULL DEFAULT '',
	source TEXT NOT NULL -- 'local' (roomgate enroll) or 'city' (a gallery from the city)
) WITHOUT ROWID;

CREATE TABLE templates (
	seq          INTEGER PRIMARY KEY,
	person_id    TEXT    NOT NULL REFERENCES people(id) ON DELETE CASCADE,
	model        TEXT    NOT NULL,
	vec          BLOB    NOT NULL,
	photo_sha256 TEXT    NOT NULL DEFAULT '', -- which photo it came from, to refuse enrolling it twice
	quality      TEXT    NOT NULL DEFAULT '{}', -- the photo's quality report, JSON
	enrolled_ns  INTEGER NOT NULL
);
CREATE INDEX templates_model ON templates(model, person_id);
