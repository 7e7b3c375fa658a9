-- Each kiosk role's wrong PINs since its last login and its lockout, kept
-- so that restarting the box gives a guesser no fresh tries.
CREATE TABLE kiosk_lockouts (
	role     TEXT PRIMARY KEY,
	failures INTEGER NOT NULL,
	until_ns INTEGER NOT NULL -- 0: not locked
) WITHOUT ROWID;
