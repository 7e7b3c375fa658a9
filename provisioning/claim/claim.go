// Package claim is the text a provisioning claim's QR code carries, shared
// by the city that makes claims and the box that redeems them:
// RGCLAIM1: followed by base64url (no padding) of a small JSON object.
package claim

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Prefix starts every claim; a scanned line without it is not a claim.
const Prefix = "RGCLAIM1:"

// MaxSize bounds a claim's text: real ones are about 300 bytes, and a
// scanner or a command line may hand over anything.
const MaxSize = 2048

// TokenBytes is the token's length: 128 random bits.
const TokenBytes = 16

// Kinds a box is provisioned as.
const (
	KindRoom = "room"
	KindGate = "gate"
)

// ErrInvalid is wrapped by every refusal of Parse.
var ErrInvalid = errors.New("claim: not a valid claim")

// namePattern is the device and site id pattern of the CA and the config.
var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

var fingerprintPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Claim is what a technician's QR code says.
type Claim struct {
	URL     string `json:"url"`  // the enrolment server, https://host:port
	CA      string `json:"ca"`   // sha256:<hex> of the city CA certificate's DER
	Device  string `json:"dev"`  // the device id the token binds to
	Kind    string `json:"kind"` // room or gate
	Site    string `json:"site"`
	Token   string `json:"tok"` // base64url of TokenBytes or more random bytes
	Expires int64  `json:"exp"` // unix seconds
}

// Encode returns the claim's text, after checking it as Parse would.
func (c Claim) Encode() (string, error) {
	if err := c.check(); err != nil {
		return "", err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("claim: %w", err)
	}
	return Prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// Parse reads a claim's text. It does not look at the expiry: the box's
// clock may be wrong before it is provisioned, and the city decides.
func Parse(text string) (Claim, error) {
	text = strings.TrimSpace(text)
	switch {
	case len(text) > MaxSize:
		return Claim{}, fmt.Errorf("%w: longer than %d bytes", ErrInvalid, MaxSize)
	case !strings.HasPrefix(text, Prefix):
		return Claim{}, fmt.Errorf("%w: does not start with %s", ErrInvalid, Prefix)
	}
	raw, err := base64.RawURLEncoding.DecodeString(text[len(Prefix):])
	if err != nil {
		return Claim{}, fmt.Errorf("%w: not base64url", ErrInvalid)
	}
	var c Claim
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Claim{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := c.check(); err != nil {
		return Claim{}, err
	}
	return c, nil
}

func (c Claim) check() error {
	u, err := url.Parse(c.URL)
	switch {
	case err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%w: url %.80q: want https://host:port", ErrInvalid, c.URL)
	case !fingerprintPattern.MatchString(c.CA):
		return fmt.Errorf("%w: ca: want sha256:<64 hex digits>", ErrInvalid)
	case !namePattern.MatchString(c.Device):
		return fmt.Errorf("%w: dev %.80q: want lowercase letters, digits and '-'", ErrInvalid, c.Device)
	case c.Kind != KindRoom && c.Kind != KindGate:
		return fmt.Errorf("%w: kind %.20q: want room or gate", ErrInvalid, c.Kind)
	case !namePattern.MatchString(c.Site):
		return fmt.Errorf("%w: site %.80q: want lowercase letters, digits and '-'", ErrInvalid, c.Site)
	case c.Expires <= 0:
		return fmt.Errorf("%w: exp missing", ErrInvalid)
	}
	tok, err := base64.RawURLEncoding.DecodeString(c.Token)
	if err != nil || len(tok) < TokenBytes {
		return fmt.Errorf("%w: tok: want base64url of at least %d bytes", ErrInvalid, TokenBytes)
	}
	return nil
}

// Expired says whether the claim's expiry has passed at now.
func (c Claim) Expired(now time.Time) bool { return now.Unix() >= c.Expires }

// NewToken returns a fresh token of TokenBytes random bytes.
func NewToken() (string, error) {
	b := make([]byte, TokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("claim: token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashToken is what the city keeps of a token. A plain SHA-256 is enough:
// the token is 128 random bits, not a password a person chose.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// TokenMatches compares a token with a stored hash in constant time.
func TokenMatches(token, hash string) bool {
	return subtle.ConstantTimeCompare([]byte(HashToken(token)), []byte(hash)) == 1
}

// Fingerprint is the claim's ca value for a CA certificate's DER.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(sum[:])
}
