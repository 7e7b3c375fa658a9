package est

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"
)

func testCert(t testing.TB) *x509.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "room-201"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert
}

func testCSR(t testing.TB) []byte {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "room-201"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestCertsOnlyRoundTrip(t *testing.T) {
	a, b := testCert(t), testCert(t)
	body, err := EncodeCertsOnly(a, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
		if len(line) > base64Line {
			t.Fatalf("line of %d characters, want at most %d", len(line), base64Line)
		}
	}
	certs, err := DecodeCertsOnly(body)
	if err != nil || len(certs) != 2 || !certs[0].Equal(a) || !certs[1].Equal(b) {
		t.Fatalf("DecodeCertsOnly = %d certificates, %v", len(certs), err)
	}
	if _, err := EncodeCertsOnly(); err == nil {
		t.Error("EncodeCertsOnly() without certificates succeeded")
	}
}

func TestCSRRoundTrip(t *testing.T) {
	der := testCSR(t)
	// One line, CRLF, as curl users may send it: all accepted.
	for _, body := range [][]byte{EncodeCSR(der), bytes.ReplaceAll(EncodeCSR(der), []byte("\n"), nil), bytes.ReplaceAll(EncodeCSR(der), []byte("\n"), []byte("\r\n"))} {
		got, csr, err := DecodeCSR(body)
		if err != nil || !bytes.Equal(got, der) || csr.Subject.CommonName != "room-201" {
			t.Errorf("DecodeCSR = %v", err)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	for name, body := range map[string][]byte{
		"empty":      nil,
		"not base64": []byte("*** hello ***"),
		"not DER":    EncodeCSR([]byte("hello")),
		"oversized":  bytes.Repeat([]byte("A"), MaxBody+1),
	} {
		if _, _, err := DecodeCSR(body); err == nil {
			t.Errorf("DecodeCSR(%s) succeeded", name)
		}
		if _, err := DecodeCertsOnly(body); err == nil {
			t.Errorf("DecodeCertsOnly(%s) succeeded", name)
		}
	}
	// A CSR is not a certs-only answer.
	if _, err := DecodeCertsOnly(EncodeCSR(testCSR(t))); err == nil {
		t.Error("DecodeCertsOnly(a CSR) succeeded")
	}
}

func TestRefusalReason(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		reason string
	}{
		{403, "token_used the token was redeemed by another key\n", ReasonTokenUsed},
		{401, "", ReasonUnauthorized},
		{429, "slow down", ReasonRateLimited},
		{502, "<html>bad gateway</html>", ReasonServer},
		{418, "ca_mismatch pretend", ReasonBadResponse}, // the city cannot claim the client's reasons
	} {
		if got := refusal(tc.status, []byte(tc.body)); got.Reason != tc.reason || got.Status != tc.status {
			t.Errorf("refusal(%d, %q) = %+v, want reason %s", tc.status, tc.body, got, tc.reason)
		}
	}
	if e := refusal(400, []byte("csr_invalid \x1b[31m"+strings.Repeat("x", 1000))); len(e.Detail) > maxDetail || strings.ContainsRune(e.Detail, 0x1b) {
		t.Errorf("detail kept %d bytes with control characters", len(e.Detail))
	}
}

func TestBundleCheck(t *testing.T) {
	for _, name := range []string{"../etc/passwd", "a/b", "device.key", "ca.pem", "roomgate.yaml", "device.pem", "", ".hidden", ".."} {
		b := Bundle{Device: "room-201", Config: "x", Files: map[string]string{name: "k"}}
		if err := b.Check(); err == nil {
			t.Errorf("Check accepted file name %q", name)
		}
	}
	ok := Bundle{Device: "room-201", Config: "x", Files: map[string]string{"city-key.pub": "k"}}
	if err := ok.Check(); err != nil {
		t.Error(err)
	}
}

// FuzzDecode: neither decoder panics on any body, and what the CSR decoder
// accepts parses as a CSR.
func FuzzDecode(f *testing.F) {
	f.Add(EncodeCSR(testCSR(f)))
	if body, err := EncodeCertsOnly(testCert(f)); err == nil {
		f.Add(body)
	}
	f.Add([]byte("MIIB"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, body []byte) {
		if der, csr, err := DecodeCSR(body); err == nil {
			if _, perr := x509.ParseCertificateRequest(der); perr != nil || csr == nil {
				t.Fatalf("DecodeCSR accepted what does not parse: %v", perr)
			}
		}
		if certs, err := DecodeCertsOnly(body); err == nil && len(certs) == 0 {
			t.Fatal("DecodeCertsOnly accepted an answer without certificates")
		}
	})
}
