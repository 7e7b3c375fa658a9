// Package ca is a small certificate authority for development and small
// deployments: it makes the CA that the Mosquitto broker trusts and issues
// the broker's server certificate and the client certificates of boxes
// (CN = device id) and of city-side clients (city-ingest, city-ops).
//
// Keys are EC P-256 in PKCS#8 PEM, written 0600; certificates are PEM,
// written 0644. Nothing is ever overwritten: to reissue, remove the old files
// first, so a slip of the hand cannot replace a key a box already uses.
package ca
