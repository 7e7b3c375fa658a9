package pass

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"time"
)

// wireClaims is the JSON form Sign writes.
type wireClaims struct {
	ID        string `json:"jti"`
	Issuer    string `json:"iss,omitempty"`
	Subject   string `json:"sub,omitempty"`
	Name      string `json:"name,omitempty"`
	Host      string `json:"host,omitempty"`
	Audience  any    `json:"aud"`
	NotBefore *int64 `json:"nbf,omitempty"` // a pointer, so nbf 0 (the epoch) is still written
	Expires   int64  `json:"exp"`
	IssuedAt  *int64 `json:"iat,omitempty"`
	Uses      int    `json:"uses"`
}

type wireHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

// Sign returns c as a pass signed by priv under kid. Times are written as
// whole seconds; Uses 0 is written as 1. It refuses claims that Verify
// would refuse and passes longer than MaxSize.
func Sign(c Claims, kid string, priv ed25519.PrivateKey) (string, error) {
	if c.Uses == 0 {
		c.Uses = 1
	}
	c.NotBefore, c.Expires, c.IssuedAt = truncSecond(c.NotBefore), truncSecond(c.Expires), truncSecond(c.IssuedAt)
	if err := c.check(); err != nil {
		return "", errorf(ErrClaims, "sign: claims: %v", err)
	}
	w := wireClaims{ID: c.ID, Issuer: c.Issuer, Subject: c.Subject, Name: c.Name, Host: c.Host, Audience: c.Audience, Expires: c.Expires.Unix(), Uses: c.Uses}
	// A single audience is written as a string, the form most JWT libraries emit.
	if len(c.Audience) == 1 {
		w.Audience = c.Audience[0]
	}
	if !c.IssuedAt.IsZero() {
		iat := c.IssuedAt.Unix()
		w.IssuedAt = &iat
	}
	if !c.NotBefore.IsZero() {
		nbf := c.NotBefore.Unix()
		w.NotBefore = &nbf
	}
	payload, err := json.Marshal(w)
	if err != nil {
		return "", fmt.Errorf("pass: sign: %w", err)
	}
	token, err := SignJWS("JWT", kid, payload, priv)
	if err != nil {
		return "", err
	}
	if len(token) > MaxSize {
		return "", errorf(ErrTooLarge, "sign: pass is %d bytes, limit %d", len(token), MaxSize)
	}
	return token, nil
}

// SignJWS returns payload as a compact JWS signed with EdDSA by priv under
// kid, with typ in its header: what VerifyJWS (and Verify, for a pass)
// checks.
func SignJWS(typ, kid string, payload []byte, priv ed25519.PrivateKey) (string, error) {
	if kid == "" {
		return "", fmt.Errorf("pass: sign: empty kid")
	}
	if len(priv) != ed25519.PrivateKeySize {
		return "", fmt.Errorf("pass: sign: private key is %d bytes, want %d", len(priv), ed25519.PrivateKeySize)
	}
	header, err := json.Marshal(wireHeader{Alg: Algorithm, Kid: kid, Typ: typ})
	if err != nil {
		return "", fmt.Errorf("pass: sign: %w", err)
	}
	if len(header) > MaxHeaderSize {
		return "", errorf(ErrTooLarge, "sign: header is %d bytes, limit %d", len(header), MaxHeaderSize)
	}
	signing := b64.EncodeToString(header) + "." + b64.EncodeToString(payload)
	return signing + "." + b64.EncodeToString(ed25519.Sign(priv, []byte(signing))), nil
}

func truncSecond(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.Unix(t.Unix(), 0).UTC()
}
