// Package est is enrolment over Secure Transport (RFC 7030) as roomgate
// speaks it: the paths, media types, the city's reasons for a refusal and the
// box's first config, shared by the box's client and the city's server.
package est

import (
	"errors"
	"fmt"
)

// Paths under the enrolment server's URL. The config is roomgate's own
// operation beside the standard ones; like simplereenroll it takes the box's
// client certificate.
const (
	PathPrefix         = "/.well-known/est/"
	PathCACerts        = PathPrefix + "cacerts"
	PathSimpleEnroll   = PathPrefix + "simpleenroll"
	PathSimpleReenroll = PathPrefix + "simplereenroll"
	PathConfig         = PathPrefix + "roomgate/config"
)

// Media types (RFC 7030 section 4): bodies are base64 of DER.
const (
	ContentTypeCSR       = "application/pkcs10"
	ContentTypeCertsOnly = "application/pkcs7-mime; smime-type=certs-only"
	ContentTypeConfig    = "application/json"
)

// Reasons the city gives for a refusal (the text/plain body's first word)
// and the client for its own; the box words each for the technician.
const (
	ReasonUnauthorized   = "unauthorized"    // no token, or one the city never made
	ReasonTokenExpired   = "token_expired"   // make a new claim
	ReasonTokenUsed      = "token_used"      // redeemed by another key: make a new claim
	ReasonDeviceMismatch = "device_mismatch" // the token is for another device
	ReasonCSRInvalid     = "csr_invalid"     // the request is malformed or its name is wrong
	ReasonRevoked        = "revoked"         // the box's certificate was revoked
	ReasonRateLimited    = "rate_limited"    // too many failures from this address
	ReasonCAMismatch     = "ca_mismatch"     // the server's CA is not the claim's
	ReasonUnreachable    = "unreachable"     // DNS, TCP or TLS failed
	ReasonServer         = "server_error"    // the city failed; try again later
	ReasonBadResponse    = "bad_response"    // the city's answer is malformed
)

// Error is a refusal by the city (Status is its HTTP status) or by the
// client before or after asking (Status 0).
type Error struct {
	Status int
	Reason string
	Detail string
}

func (e *Error) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("est: %s (HTTP %d): %s", e.Reason, e.Status, e.Detail)
	}
	return fmt.Sprintf("est: %s: %s", e.Reason, e.Detail)
}

// ReasonOf is err's reason, or "" when err is not an *Error.
func ReasonOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// Bundle is the box's first config: its roomgate.yaml and the files it
// names (the city key, the pass issuers' keys) by plain file name. The
// certificate, its key and the CA come from enrolment, not from here.
type Bundle struct {
	Device string            `json:"device"`
	Kind   string            `json:"kind"` // claim.KindRoom or claim.KindGate
	Site   string            `json:"site"`
	Config string            `json:"config"` // roomgate.yaml
	Files  map[string]string `json:"files"`
}
