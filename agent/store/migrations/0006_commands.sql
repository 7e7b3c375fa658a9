-- The city's commands this box has taken, by id, with the result it
-- answered: a command redelivered (even after a restart) is answered again
-- and never run twice. result is NULL while the command runs; a row left so
-- by a crash means the command may have run, so it is not run again.
CREATE TABLE commands (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	received_ns INTEGER NOT NULL,
	result      BLOB
) WITHOUT ROWID;
CREATE INDEX commands_received ON commands(received_ns);
