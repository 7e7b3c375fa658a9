// Package syncfile writes a file and syncs it before saying it is written:
// a key, a certificate or a provisioning that a command reported done must
// survive a power cut right after.
package syncfile

import (
	"fmt"
	"os"
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
