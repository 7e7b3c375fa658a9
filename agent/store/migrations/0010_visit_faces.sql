-- A visit the city registers for a chip ID card carries the visitor's face
-- template, sealed like every template (AES-GCM, store.key_file), and the
-- model it is for; the gate checks the face at the camera against it.
ALTER TABLE visits ADD COLUMN model TEXT NOT NULL DEFAULT '';
ALTER TABLE visits ADD COLUMN template BLOB;
