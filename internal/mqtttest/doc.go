// Package mqtttest starts a real Mosquitto broker for tests, set up as in
// production: TLS only, client certificates required, the certificate's CN
// as the username, and the shipped ACL (deploy/mosquitto/acl) and broker
// settings (deploy/mosquitto/roomgate.conf), so tests exercise what is
// deployed. Each broker has a fresh CA in the test's temporary directory and
// issues client certificates from it.
package mqtttest
