-- A gallery from the city while it arrives: its manifest and its chunks,
-- each as the exact bytes received, since the manifest's sha256s are over
-- them. Only one version is staged at a time; a swap empties both tables.
CREATE TABLE city_gallery_manifest (
	version INTEGER PRIMARY KEY,
	payload BLOB    NOT NULL
);

CREATE TABLE city_gallery_chunks (
	version   INTEGER NOT NULL,
	idx       INTEGER NOT NULL,
	payload   BLOB    NOT NULL,
	staged_ns INTEGER NOT NULL,
	PRIMARY KEY (version, idx)
);
