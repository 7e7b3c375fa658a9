package ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func csrFor(t *testing.T, cn string, key crypto.Signer, extra ...pkix.Extension) []byte {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn}, ExtraExtensions: extra}, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestSignCSR(t *testing.T) {
	c := initCA(t)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rsa2048, _ := rsa.GenerateKey(rand.Reader, 2048)
	// A request asking to be a CA, for server auth too: the CA ignores it.
	basic, _ := asn1.Marshal(struct{ IsCA bool }{true})
	caExt := pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 19}, Critical: true, Value: basic}
	for name, key := range map[string]crypto.Signer{"p256": p256, "p384": p384, "ed25519": ed, "rsa2048": rsa2048} {
		cert, err := c.SignCSR("room-201", csrFor(t, "room-201", key, caExt))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		pool := x509.NewCertPool()
		pool.AddCert(c.cert)
		if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Errorf("%s: issued certificate does not verify for client auth: %v", name, err)
		}
		if cert.IsCA || cert.Subject.CommonName != "room-201" || len(cert.ExtKeyUsage) != 1 {
			t.Errorf("%s: IsCA %v CN %q EKU %v; want a plain client certificate for room-201", name, cert.IsCA, cert.Subject.CommonName, cert.ExtKeyUsage)
		}
		if got := cert.NotAfter.Sub(cert.NotBefore); got != MaxLeafLifetime {
			t.Errorf("%s: lifetime %v, want the CA's %v", name, got, MaxLeafLifetime)
		}
	}
	issued, err := c.Issued()
	if err != nil || len(issued) != 4 {
		t.Fatalf("Issued() = %v, %v; want 4 records", issued, err)
	}
	if m := mode(t, filepath.Join(c.dir, IssuedName)); m != 0o600 {
		t.Errorf("%s mode %v, want 0600", IssuedName, m)
	}
}

func TestSignCSRRejects(t *testing.T) {
	c := initCA(t)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	good := csrFor(t, "room-201", key)
	tampered := append([]byte(nil), good...)
	tampered[len(tampered)-3] ^= 0xff // in the signature
	for name, tc := range map[string]struct {
		cn  string
		der []byte
	}{
		"wrong CN":      {"room-201", csrFor(t, "room-202", key)},
		"bad signature": {"room-201", tampered},
		"garbage":       {"room-201", []byte("not a request")},
		"P-224":         {"room-201", csrFor(t, "room-201", p224)},
		"RSA 1024":      {"room-201", csrFor(t, "room-201", rsa1024)},
	} {
		if cert, err := c.SignCSR(tc.cn, tc.der); !errors.Is(err, ErrCSR) {
			t.Errorf("%s: SignCSR = %v, %v; want ErrCSR", name, cert, err)
		}
	}
	if _, err := c.SignCSR("Room 201", good); err == nil {
		t.Error("SignCSR accepted a CN the ACL could not use")
	}
	if issued, _ := c.Issued(); len(issued) != 0 {
		t.Errorf("refused requests were recorded: %v", issued)
	}
}

func TestRevokeDevice(t *testing.T) {
	c := initCA(t)
	dir := t.TempDir()
	first, _, err := c.IssueClient(dir, "room-201")
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	second, err := c.SignCSR("room-201", csrFor(t, "room-201", key))
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := c.IssueClient(dir, "room-202")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.RevokeDevice("room-209", time.Now()); err == nil || !strings.Contains(err.Error(), "no certificate issued") {
		t.Errorf("RevokeDevice(unknown) = %v, want an error", err)
	}
	revoked, err := c.RevokeDevice("room-201", time.Now())
	if err != nil || len(revoked) != 2 {
		t.Fatalf("RevokeDevice = %v, %v; want both of room-201's", revoked, err)
	}
	crl := readCRL(t, c)
	onCRL := map[string]bool{}
	for _, e := range crl.RevokedCertificateEntries {
		onCRL[e.SerialNumber.Text(16)] = true
	}
	firstCert, _ := readCert(first)
	otherCert, _ := readCert(other)
	if !onCRL[firstCert.SerialNumber.Text(16)] || !onCRL[second.SerialNumber.Text(16)] || onCRL[otherCert.SerialNumber.Text(16)] || len(onCRL) != 2 {
		t.Errorf("CRL lists %v; want exactly room-201's two certificates", onCRL)
	}
	for _, cert := range []*x509.Certificate{firstCert, second} {
		if r, err := c.IsRevoked(cert); !r || err != nil {
			t.Errorf("IsRevoked(room-201) = %v, %v", r, err)
		}
	}
	if r, _ := c.IsRevoked(otherCert); r {
		t.Error("room-202 revoked too")
	}
	again, err := c.RevokeDevice("room-201", time.Now().Add(time.Hour))
	if err != nil || len(again) != 2 || again[0].At.After(time.Now().Add(time.Minute)) {
		t.Errorf("revoking again = %v, %v; want the first revocation kept", again, err)
	}
}
