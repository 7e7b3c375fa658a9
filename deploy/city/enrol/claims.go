package enrol

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"syscall"
	"time"

	"github.com/roomgate/roomgate/internal/syncfile"
	"github.com/roomgate/roomgate/provisioning/claim"
	"github.com/roomgate/roomgate/provisioning/est"
)

// ClaimsName is the claims file in the city's directory.
const ClaimsName = "claims.json"

// namePattern is the pattern of device, site, gate/room and board names.
var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// Claim is what the city keeps of one claim it made.
type Claim struct {
	Device    string    `json:"device"`
	Kind      string    `json:"kind"` // claim.KindRoom or claim.KindGate
	Site      string    `json:"site"`
	Name      string    `json:"name"` // the gate's or room's id in the config
	Board     string    `json:"board"`
	TokenHash string    `json:"token_hash"` // claim.HashToken of the token
	Created   time.Time `json:"created"`
	Expires   time.Time `json:"expires"`
	// BoundKey is the SHA-256 of the public key (SPKI DER) the first
	// successful enrolment used; empty until then.
	BoundKey string    `json:"bound_key,omitempty"`
	Used     time.Time `json:"used,omitzero"`
}

// Check refuses a claim with names the CA or the config would not take.
func (c Claim) Check() error {
	for what, v := range map[string]string{"device": c.Device, "site": c.Site, "name": c.Name, "board": c.Board} {
		if !namePattern.MatchString(v) {
			return fmt.Errorf("enrol: claim %s %.70q: want lowercase letters, digits and '-'", what, v)
		}
	}
	if c.Kind != claim.KindRoom && c.Kind != claim.KindGate {
		return fmt.Errorf("enrol: claim kind %.20q: want room or gate", c.Kind)
	}
	if c.TokenHash == "" || !c.Expires.After(c.Created) {
		return errors.New("enrol: claim without token hash or with an expiry before its creation")
	}
	return nil
}

// Store is the claims file. Every change reads the file under an exclusive
// lock and replaces it atomically, so the command that creates claims and
// the running server can share it.
type Store struct {
	file string
}

// OpenStore returns the claims store in dir (made if missing, 0700).
func OpenStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("enrol: %w", err)
	}
	return &Store{file: filepath.Join(dir, ClaimsName)}, nil
}

// KeyHash is the SHA-256 (hex) of a public key's SPKI DER: what a claim
// binds to.
func KeyHash(pub any) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

// Add stores a new claim. Earlier claims for the device that were never
// used are dropped: the newest claim is the only one that works.
func (s *Store) Add(c Claim) error {
	if err := c.Check(); err != nil {
		return err
	}
	return s.update(func(list []Claim) ([]Claim, error) {
		list = slices.DeleteFunc(list, func(x Claim) bool { return x.Device == c.Device && x.BoundKey == "" })
		return append(list, c), nil
	})
}

// Redeem checks token for device and binds its claim to the key whose hash
// is keyHash. Refusals are *est.Error with the city's reason.
func (s *Store) Redeem(device, token, keyHash string, now time.Time) (Claim, error) {
	var got Claim
	err := s.update(func(list []Claim) ([]Claim, error) {
		i := slices.IndexFunc(list, func(x Claim) bool { return claim.TokenMatches(token, x.TokenHash) })
		if i < 0 {
			return nil, &est.Error{Status: http.StatusUnauthorized, Reason: est.ReasonUnauthorized, Detail: "no such claim"}
		}
		c := &list[i]
		switch {
		case c.Device != device:
			return nil, &est.Error{Status: http.StatusForbidden, Reason: est.ReasonDeviceMismatch, Detail: "the token is for another device"}
		case !now.Before(c.Expires):
			return nil, &est.Error{Status: http.StatusForbidden, Reason: est.ReasonTokenExpired, Detail: "the claim expired at " + c.Expires.UTC().Format(time.RFC3339)}
		case c.BoundKey != "" && c.BoundKey != keyHash:
			return nil, &est.Error{Status: http.StatusForbidden, Reason: est.ReasonTokenUsed, Detail: "the token was redeemed by another key"}
		}
		if c.BoundKey == "" {
			c.BoundKey, c.Used = keyHash, now
		}
		got = *c
		return list, nil
	})
	return got, err
}

// Enrolled is the newest claim of device that an enrolment used: what the
// device's config is made from.
func (s *Store) Enrolled(device string) (Claim, bool, error) {
	list, err := s.read()
	if err != nil {
		return Claim{}, false, err
	}
	var best Claim
	found := false
	for _, c := range list {
		if c.Device == device && c.BoundKey != "" && (!found || c.Used.After(best.Used)) {
			best, found = c, true
		}
	}
	return best, found, nil
}

// update runs change on the claims under the file lock and writes its
// result; an error from change leaves the file as it was.
func (s *Store) update(change func([]Claim) ([]Claim, error)) error {
	lock, err := os.OpenFile(s.file+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("enrol: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("enrol: lock %s: %w", s.file, err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	list, err := s.read()
	if err != nil {
		return err
	}
	list, err = change(list)
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(list, "", " ")
	if err != nil {
		return fmt.Errorf("enrol: %w", err)
	}
	return syncfile.Replace(s.file, append(data, '\n'), 0o600)
}

func (s *Store) read() ([]Claim, error) {
	data, err := os.ReadFile(s.file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("enrol: %w", err)
	}
	var list []Claim
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("enrol: %s: %w", s.file, err)
	}
	return list, nil
}
