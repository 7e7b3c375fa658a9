-- Records kept at the gate and the outbox that carries them to the city.
-- Entries are read newest first (rowid order) and found by id only in
-- audits; every index costs a page write on the gate's hot path.
CREATE TABLE entries (
	seq           INTEGER PRIMARY KEY,
	id            TEXT NOT NULL,         -- the CloudEvent id (UUIDv7), unique through the outbox
	at_ns         INTEGER NOT NULL,
	gate          TEXT NOT NULL,
	scanner       TEXT NOT NULL,
	method        TEXT NOT NULL,         -- pass, cccd, unknown
	granted       INTEGER NOT NULL,
	reason        TEXT NOT NULL,         -- empty when granted
	detail        TEXT NOT NULL,
	pass_id       TEXT NOT NULL,
	kid           TEXT NOT NULL,
	subject       TEXT NOT NULL,
	name          TEXT NOT NULL,
	host          TEXT NOT NULL,
	clock_trusted INTEGER NOT NULL,
	scan_sha256   TEXT NOT NULL          -- what was scanned, without keeping it
);

CREATE TABLE door_events (
	id     TEXT PRIMARY KEY,
	at_ns  INTEGER NOT NULL,
	kind   TEXT NOT NULL,
	alarm  INTEGER NOT NULL,
	detail TEXT NOT NULL
);
CREATE INDEX door_events_at ON door_events(at_ns);

CREATE TABLE outbox (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	id         TEXT NOT NULL UNIQUE,
	type       TEXT NOT NULL,
	created_ns INTEGER NOT NULL,
	payload    BLOB NOT NULL,           -- the CloudEvent, structured JSON
	acked_ns   INTEGER                  -- set when the city confirmed it
);

-- How often a pass (or a registered visit) has let someone in. Without a
-- rowid the key is the table: one b-tree page less to write per grant.
CREATE TABLE uses (
	key       TEXT PRIMARY KEY,         -- pass:<jti> or visit:<id>
	count     INTEGER NOT NULL,
	last_ns   INTEGER NOT NULL,
	last_gate TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE issuers (
	kid        TEXT PRIMARY KEY,
	iss        TEXT NOT NULL,
	public_key BLOB NOT NULL,
	source     TEXT NOT NULL,           -- config or city
	updated_ns INTEGER NOT NULL
);

CREATE TABLE revocations (
	pass_id    TEXT PRIMARY KEY,
	source     TEXT NOT NULL,
	revoked_ns INTEGER NOT NULL
);

-- Visits the city registered in advance for a chip ID card (CCCD) number.
CREATE TABLE visits (
	id             TEXT PRIMARY KEY,
	id_number      TEXT NOT NULL,
	name           TEXT NOT NULL,
	host           TEXT NOT NULL,
	gates          TEXT NOT NULL,       -- comma-separated gate or site ids
	not_before_ns  INTEGER NOT NULL,
	not_after_ns   INTEGER NOT NULL,
	uses           INTEGER NOT NULL
);
CREATE INDEX visits_id_number ON visits(id_number);
