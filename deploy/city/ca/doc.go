// Package ca is a small certificate authority for development and small
// deployments: it makes the CA that the Mosquitto broker trusts and issues
// the broker's server certificate and the client certificates of boxes
// (CN = device id) and of city-side clients (city-ingest, city-ops).
//
// Keys are EC P-256 in PKCS#8 PEM, written 0600; certificates are PEM,
// written 0644. Nothing is ever overwritten: to reissue, remove the old files
// first, so a slip of the hand cannot replace a key a box already uses.
//
// SignCSR certifies a key a box made itself (enrolment, deploy/city/enrol).
// Every client certificate, issued either way, is recorded by CN in
// issued.json (0600), so RevokeDevice can revoke a box by name.
package ca
