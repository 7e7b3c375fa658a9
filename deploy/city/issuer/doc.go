// Package issuer is the city side of visitor passes: it makes and stores
// issuer key pairs, prints the snippet that makes a box trust a key, issues
// passes as tokens and QR codes, and decodes passes for support staff.
//
// Signing and verification themselves live in agent/pass, so the city and
// the gate share one definition of a pass.
package issuer
