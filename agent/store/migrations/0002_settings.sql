-- Small values the box must remember across restarts: the versions of the
-- config and trust the city sent last.
CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;
