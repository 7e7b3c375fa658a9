package citysign

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/roomgate/roomgate/agent/pass"
	"github.com/roomgate/roomgate/agent/wire"
)

// Typ is the JWS header typ of a city message; a pass says JWT.
const Typ = "roomgate-city"

// Errors callers branch on; every refusal wraps one of them.
var (
	ErrNoKey    = errors.New("citysign: no city key pinned") // the box has no sync.city_key
	ErrUnsigned = errors.New("citysign: not signed")
	ErrBadSig   = errors.New("citysign: bad signature") // not a JWS, or not signed by the pinned key
	ErrDevice   = errors.New("citysign: for another device")
	ErrPayload  = errors.New("citysign: bad payload") // the signed JSON is not the topic's
)

// Verifier checks the city's messages to one box.
type Verifier struct {
	key    ed25519.PublicKey // nil: refuse everything
	device string
}

// NewVerifier checks messages for device against the city's key; a nil key
// refuses every message with ErrNoKey.
func NewVerifier(key ed25519.PublicKey, device string) *Verifier {
	return &Verifier{key: key, device: device}
}

// Lookup gives the pinned key whatever the kid: a box trusts one city key,
// and the kid only names it in logs.
func (v *Verifier) Lookup(string) (pass.Key, bool) { return pass.Key{Public: v.key}, true }

// Config verifies and decodes a signed config.
func (v *Verifier) Config(payload []byte) (wire.Config, error) {
	body, err := v.open("config", payload, wire.MaxConfigSize)
	if err != nil {
		return wire.Config{}, err
	}
	c, err := wire.DecodeConfig(body)
	if err == nil {
		err = v.check("config", c.Device, c.IssuedAt)
	}
	if err != nil {
		return wire.Config{}, err
	}
	return c, nil
}

// Trust verifies and decodes a signed trust list.
func (v *Verifier) Trust(payload []byte) (wire.Trust, error) {
	body, err := v.open("trust", payload, wire.MaxTrustSize)
	if err != nil {
		return wire.Trust{}, err
	}
	t, err := wire.DecodeTrust(body)
	if err == nil {
		err = v.check("trust", t.Device, t.IssuedAt)
	}
	if err != nil {
		return wire.Trust{}, err
	}
	return t, nil
}

// Visits verifies and decodes a signed visits list.
func (v *Verifier) Visits(payload []byte) (wire.Visits, error) {
	body, err := v.open("visits", payload, wire.MaxVisitsSize)
	if err != nil {
		return wire.Visits{}, err
	}
	vs, err := wire.DecodeVisits(body)
	if err == nil {
		err = v.check("visits", vs.Device, vs.IssuedAt)
	}
	if err != nil {
		return wire.Visits{}, err
	}
	return vs, nil
}

// Command verifies and decodes a signed command. Like wire.DecodeCommand it
// returns a verified command with a name this box does not know along with
// an error wrapping wire.ErrUnknownCommand, so its id can be answered. Its
// times are for the caller to check (wire.Command.CheckTime), after it has
// looked for an earlier answer to the same id.
func (v *Verifier) Command(payload []byte) (wire.Command, error) {
	body, err := v.open("cmd", payload, wire.MaxCommandSize)
	if err != nil {
		return wire.Command{}, err
	}
	c, err := wire.DecodeCommand(body)
	if err != nil && !errors.Is(err, wire.ErrUnknownCommand) {
		return wire.Command{}, err
	}
	if cerr := v.check("cmd "+c.ID, c.Device, c.IssuedAt); cerr != nil {
		return wire.Command{}, cerr
	}
	return c, err
}

// open checks the signature and returns the signed JSON.
func (v *Verifier) open(what string, payload []byte, limit int) ([]byte, error) {
	switch {
	case v.key == nil:
		return nil, fmt.Errorf("%w (sync.city_key): %s refused", ErrNoKey, what)
	case firstByte(payload) == '{':
		return nil, fmt.Errorf("%w: %s is plain JSON; this box takes only what the city signs", ErrUnsigned, what)
	}
	body, _, err := pass.VerifyJWS(string(payload), tokenLimit(limit), v)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadSig, what, err)
	}
	return body, nil
}

// check refuses a message signed for another box, or without its time.
func (v *Verifier) check(what, device string, iat int64) error {
	switch {
	case device != v.device:
		return fmt.Errorf("%w: %s signed for device %.64q, this is %q", ErrDevice, what, device, v.device)
	case iat <= 0:
		return fmt.Errorf("%w: %s: iat missing", ErrPayload, what)
	}
	return nil
}

// tokenLimit is the size of a JWS whose payload is limit bytes.
func tokenLimit(limit int) int {
	enc := base64.RawURLEncoding
	return enc.EncodedLen(pass.MaxHeaderSize) + enc.EncodedLen(limit) + enc.EncodedLen(ed25519.SignatureSize) + 2
}

func firstByte(p []byte) byte {
	for _, c := range p {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return c
		}
	}
	return 0
}

// Signer signs the city's messages.
type Signer struct {
	Key ed25519.PrivateKey
	Kid string // names the key in the JWS header
}

// Config signs c for device, issued at now.
func (s Signer) Config(device string, c wire.Config, now time.Time) ([]byte, error) {
	c.Device, c.IssuedAt = device, now.Unix()
	return s.sign(c)
}

// Trust signs t for device, issued at now.
func (s Signer) Trust(device string, t wire.Trust, now time.Time) ([]byte, error) {
	t.Device, t.IssuedAt = device, now.Unix()
	return s.sign(t)
}

// Visits signs vs for device, issued at now.
func (s Signer) Visits(device string, vs wire.Visits, now time.Time) ([]byte, error) {
	vs.Device, vs.IssuedAt = device, now.Unix()
	return s.sign(vs)
}

// Command signs c for device, issued at now and valid for ttl
// (wire.DefaultCommandLifetime when 0).
func (s Signer) Command(device string, c wire.Command, now time.Time, ttl time.Duration) ([]byte, error) {
	if ttl == 0 {
		ttl = wire.DefaultCommandLifetime
	}
	c.Device, c.IssuedAt, c.ExpiresAt = device, now.Unix(), now.Add(ttl).Unix()
	return s.sign(c)
}

func (s Signer) sign(v any) ([]byte, error) {
	payload, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("citysign: %w", err)
	}
	token, err := pass.SignJWS(Typ, s.Kid, payload, s.Key)
	if err != nil {
		return nil, fmt.Errorf("citysign: %w", err)
	}
	return []byte(token), nil
}
