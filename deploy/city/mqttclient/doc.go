// Package mqttclient is how the city's tools reach the roomgate broker:
// MQTT 3.1.1 over TLS with a client certificate, QoS 1, and messages that
// are acknowledged to the broker only when the caller says so. It is the
// only city package that imports paho.
package mqttclient
