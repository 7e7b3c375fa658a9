// Package tlsfiles reads the PEM files of an MQTT client (the city's CA, a
// client certificate and its key) into a TLS configuration: the one loader
// the box, the city tools and the test broker share.
package tlsfiles

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"sync"
)

// Client returns a TLS client config that trusts only caFile's certificates
// and presents certFile/keyFile. The pair is read again at every handshake,
// so a certificate renewed on disk is used from the next reconnect on; if
// that read fails the pair read last is presented.
func Client(caFile, certFile, keyFile string) (*tls.Config, error) {
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("tls: CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("tls: CA %s: no PEM certificate in it", caFile)
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: client certificate %s: %w", certFile, err)
	}
	last := &cert
	var mu sync.Mutex
	present := func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		mu.Lock()
		defer mu.Unlock()
		if fresh, err := tls.LoadX509KeyPair(certFile, keyFile); err == nil {
			last = &fresh
		}
		return last, nil
	}
	// Certificates keeps the pair as loaded for callers that inspect it.
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, GetClientCertificate: present, MinVersion: tls.VersionTLS12}, nil
}
