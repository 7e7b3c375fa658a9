// Package pass verifies and issues visitor passes: JWS compact tokens
// (RFC 7515) signed with EdDSA over Ed25519 (RFC 8037), with JWT claims.
//
// Verify runs on the gate's hot path with untrusted input from a scanner, so
// it bounds the input before parsing anything, checks the signature before it
// reads a single claim, and returns sentinel errors whose Reason is what the
// gate records. Policy that depends on the box (the time window, the
// longest lifetime it accepts, the gate scope, revocation and use counts)
// stays with the caller; Claims has helpers for the first three.
//
// VerifyJWS and SignJWS are the same JWS code for other payloads: the
// city's signed messages to its boxes (agent/citysign) use them.
//
// Only the standard library is used, so any city system can issue passes
// with a stock JWT library and the gate carries no JOSE dependency.
package pass
