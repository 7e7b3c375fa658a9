package ca

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// RevokedDevices are the devices whose every certificate in the CA directory
// dir's record is revoked: `device revoke` made them so. A device the record
// does not know is not among them. It reads issued.json and the revoked
// list only, not the CA's key, so ingest can be given the directory.
func RevokedDevices(dir string) (map[string]bool, error) {
	issued, err := readIssued(dir)
	if err != nil {
		return nil, err
	}
	revoked, err := readRevoked(dir)
	if err != nil {
		return nil, err
	}
	serials := make(map[string]bool, len(revoked))
	for _, r := range revoked {
		serials[r.Serial.Text(16)] = true
	}
	out := map[string]bool{}
	live := map[string]bool{} // a device with a certificate not revoked
	for _, i := range issued {
		if serials[i.Serial] {
			out[i.CN] = true
		} else {
			live[i.CN] = true
		}
	}
	for cn := range live {
		delete(out, cn)
	}
	return out, nil
}

// Revocations answers RevokedDevices from a CA directory, read again when
// its record or revoked list changes (looked at most every Every).
type Revocations struct {
	dir   string
	every time.Duration
	mu    sync.Mutex
	at    time.Time
	stamp string
	set   map[string]bool
	err   error
}

// WatchRevocations reads dir's revocations now and again as they change;
// dir must be a CA's directory.
func WatchRevocations(dir string, every time.Duration) (*Revocations, error) {
	if _, err := os.Stat(filepath.Join(dir, CertName)); err != nil {
		return nil, fmt.Errorf("ca: %s is not a CA's directory: %w", dir, err)
	}
	r := &Revocations{dir: dir, every: every}
	r.refresh(time.Now())
	return r, r.err
}

// Revoked says whether every certificate of device is revoked. While the
// files cannot be read it keeps the last answer it had.
func (r *Revocations) Revoked(device string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := time.Now(); now.Sub(r.at) >= r.every {
		r.refresh(now)
	}
	return r.set[device]
}

// Err is the last failure to read the directory, or nil.
func (r *Revocations) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *Revocations) refresh(now time.Time) {
	r.at = now
	stamp := ""
	for _, name := range []string{IssuedName, RevokedName} {
		if fi, err := os.Stat(filepath.Join(r.dir, name)); err == nil {
			stamp += fmt.Sprintf("%s:%d:%d;", name, fi.Size(), fi.ModTime().UnixNano())
		}
	}
	if stamp == r.stamp && r.set != nil {
		return
	}
	set, err := RevokedDevices(r.dir)
	r.err = err
	if err != nil {
		return
	}
	r.set, r.stamp = set, stamp
}
