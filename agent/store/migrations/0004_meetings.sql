-- The room's schedule as the city last sent it (replaced whole), the
-- attendance kept against it, and what secretaries and technicians did at
-- the kiosk. Attendance does not reference meetings: a record outlives the
-- schedule that allowed it.
CREATE TABLE meetings (
	id        TEXT PRIMARY KEY,
	title     TEXT    NOT NULL,
	room      TEXT    NOT NULL DEFAULT '',
	start_ns  INTEGER NOT NULL,
	end_ns    INTEGER NOT NULL,
	opens_ns  INTEGER NOT NULL,
	closes_ns INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE invitees (
	meeting_id TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
	person_id  TEXT NOT NULL,
	name       TEXT NOT NULL,
	unit       TEXT NOT NULL DEFAULT '',
	role       TEXT NOT NULL DEFAULT '',
	seat       TEXT NOT NULL DEFAULT '',
	ord        INTEGER NOT NULL,
	PRIMARY KEY (meeting_id, person_id)
) WITHOUT ROWID;

CREATE TABLE attendance (
	seq        INTEGER PRIMARY KEY,
	id         TEXT    NOT NULL UNIQUE, -- the event id
	meeting_id TEXT    NOT NULL,
	title      TEXT    NOT NULL,
	person_id  TEXT    NOT NULL,
	name       TEXT    NOT NULL,
	unit       TEXT    NOT NULL DEFAULT '',
	seat       TEXT    NOT NULL DEFAULT '',
	method     TEXT    NOT NULL, -- face, qr, manual
	score      REAL    NOT NULL DEFAULT 0,
	late       INTEGER NOT NULL,
	invited    INTEGER NOT NULL,
	at_ns      INTEGER NOT NULL,
	operator   TEXT    NOT NULL DEFAULT '',
	reason     TEXT    NOT NULL DEFAULT '',
	entry_id   TEXT    NOT NULL DEFAULT '',
	UNIQUE (meeting_id, person_id) -- the first check-in wins
);

CREATE TABLE actions (
	seq    INTEGER PRIMARY KEY,
	at_ns  INTEGER NOT NULL,
	role   TEXT    NOT NULL, -- secretary, technician
	action TEXT    NOT NULL,
	detail TEXT    NOT NULL DEFAULT ''
);
