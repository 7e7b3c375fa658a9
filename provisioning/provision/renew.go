package provision

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/roomgate/roomgate/provisioning/claim"
)

// Reenroller is the city's enrolment server as a provisioned box renews
// with it; *est.Client is one.
type Reenroller interface {
	SimpleReenroll(ctx context.Context, current tls.Certificate, csrDER []byte) (*x509.Certificate, error)
}

// ConnectRenewal opens the enrolment server at url, pinned to the CA the box
// was provisioned with: est.NewClient.
type ConnectRenewal func(url, caFingerprint string) (Reenroller, error)

// Renew renews the certificate of the provisioning directory dir with the
// enrolment server at url: a new key made on the box, simplereenroll
// authenticated by the current pair, the same checks as provisioning, and
// the directory swapped whole, so a power cut leaves the old pair or the
// new. The files keep their owner: the agent renews as its own user.
func Renew(ctx context.Context, dir, url string, connect ConnectRenewal) (*x509.Certificate, error) {
	d := dirsOf(dir)
	unlock, err := lock(d)
	if err != nil {
		return nil, err
	}
	defer unlock()
	current, err := tls.LoadX509KeyPair(filepath.Join(d.final, CertName), filepath.Join(d.final, KeyName))
	if err != nil {
		return nil, fmt.Errorf("renew: the current pair: %w", err)
	}
	ca, err := readCert(filepath.Join(d.final, CAName))
	if err != nil {
		return nil, fmt.Errorf("renew: %w", err)
	}
	device := current.Leaf.Subject.CommonName
	st := &staged{dir: d.staging}
	if err := os.RemoveAll(d.staging); err != nil {
		return nil, fmt.Errorf("renew: %w", err)
	}
	if err := os.Mkdir(d.staging, 0o700); err != nil {
		return nil, fmt.Errorf("renew: %w", err)
	}
	if st.key, err = newKey(); err != nil {
		return nil, fmt.Errorf("renew: %w", err)
	}
	csr, err := newCSR(device, st.key)
	if err != nil {
		return nil, fmt.Errorf("renew: %w", err)
	}
	city, err := connect(url, claim.Fingerprint(ca.Raw))
	if err != nil {
		return nil, fmt.Errorf("renew: %w", err)
	}
	cert, err := city.SimpleReenroll(ctx, current, csr)
	if err != nil {
		return nil, fmt.Errorf("renew: %w", err)
	}
	if err := checkCert(cert, ca, st.key, device); err != nil {
		return nil, fmt.Errorf("renew: %w", err)
	}
	if cert.NotAfter.Before(current.Leaf.NotAfter) {
		return nil, fmt.Errorf("renew: the new certificate expires %s, before the current one (%s)", cert.NotAfter.UTC(), current.Leaf.NotAfter.UTC())
	}
	if err := st.copyFrom(d.final, KeyName, CertName); err != nil {
		return nil, fmt.Errorf("renew: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(st.key)
	if err != nil {
		return nil, fmt.Errorf("renew: %w", err)
	}
	for name, data := range map[string][]byte{
		KeyName:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		CertName: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}),
	} {
		if err := st.write(name, data); err != nil {
			return nil, fmt.Errorf("renew: %w", err)
		}
	}
	if err := st.commit(d); err != nil {
		return nil, fmt.Errorf("renew: %w", err)
	}
	return cert, nil
}

// copyFrom stages the regular files of dir but those named in except.
func (st *staged) copyFrom(dir string, except ...string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || slices.Contains(except, name) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := st.write(name, data); err != nil {
			return err
		}
	}
	return nil
}
