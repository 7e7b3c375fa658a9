// Package syncfile writes a file and syncs it before saying it is written:
// a key, a certificate or a provisioning that a command reported done must
// survive a power cut right after; Replace also never shows a reader (the
// broker reading a CRL, the agent its config) half a file.
package syncfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// Write writes data to path, opened with flag (os.O_WRONLY|os.O_CREATE and
// os.O_EXCL or os.O_TRUNC) and perm, syncs and closes it. A file it created
// but could not write whole is removed; the error from opening is returned
// as os.OpenFile gave it, so callers can tell one that exists.
func Write(path string, data []byte, flag int, perm os.FileMode) error {
	f, err := os.OpenFile(path, flag, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Replace replaces path with data, with mode perm, so that a reader or a
// power cut sees the old file or the new one, never a mix: a temporary file
// beside it is written, synced and renamed over it, and the directory synced.
func Replace(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err == nil {
		err = Dir(dir)
	}
	if err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return nil
}

// Dir syncs a directory, so the names created, renamed or removed in it
// survive a power cut.
func Dir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
