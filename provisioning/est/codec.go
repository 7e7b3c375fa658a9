package est

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/smallstep/pkcs7"
)

// MaxBody bounds every EST body either end reads: a CSR or a certs-only
// answer is a few kilobytes, a config a few more.
const MaxBody = 64 << 10

// base64Line is the line length of the base64 bodies written, as PEM and
// `openssl base64` use, so openssl decodes them without -A.
const base64Line = 64

// EncodeCertsOnly is the body of a certs-only answer: base64 of a DER
// PKCS#7 SignedData without signers holding certs.
func EncodeCertsOnly(certs ...*x509.Certificate) ([]byte, error) {
	if len(certs) == 0 {
		return nil, errors.New("est: certs-only answer without certificates")
	}
	var raw []byte
	for _, c := range certs {
		raw = append(raw, c.Raw...)
	}
	der, err := pkcs7.DegenerateCertificate(raw)
	if err != nil {
		return nil, fmt.Errorf("est: %w", err)
	}
	return encodeBase64(der), nil
}

// DecodeCertsOnly reads a certs-only body; line breaks in the base64 are
// allowed, anything else malformed is an error.
func DecodeCertsOnly(body []byte) ([]*x509.Certificate, error) {
	der, err := decodeBase64(body)
	if err != nil {
		return nil, err
	}
	p7, err := pkcs7.Parse(der)
	if err != nil {
		return nil, fmt.Errorf("est: certs-only: %w", err)
	}
	if len(p7.Certificates) == 0 {
		return nil, errors.New("est: certs-only: no certificate in it")
	}
	return p7.Certificates, nil
}

// EncodeCSR is the body of an enrol request: base64 of the CSR's DER.
func EncodeCSR(csrDER []byte) []byte { return encodeBase64(csrDER) }

// DecodeCSR reads an enrol request's body into the CSR's DER and the parsed
// request; it does not check the signature.
func DecodeCSR(body []byte) ([]byte, *x509.CertificateRequest, error) {
	der, err := decodeBase64(body)
	if err != nil {
		return nil, nil, err
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, nil, fmt.Errorf("est: CSR: %w", err)
	}
	return der, csr, nil
}

func encodeBase64(der []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(der)
	var b bytes.Buffer
	for len(enc) > base64Line {
		b.WriteString(enc[:base64Line])
		b.WriteByte('\n')
		enc = enc[base64Line:]
	}
	b.WriteString(enc)
	b.WriteByte('\n')
	return b.Bytes()
}

// decodeBase64 decodes standard base64 with any ASCII white space in it.
func decodeBase64(body []byte) ([]byte, error) {
	if len(body) > MaxBody {
		return nil, fmt.Errorf("est: body of %d bytes, at most %d", len(body), MaxBody)
	}
	clean := make([]byte, 0, len(body))
	for _, c := range body {
		switch c {
		case ' ', '\t', '\r', '\n':
		default:
			clean = append(clean, c)
		}
	}
	der, err := base64.StdEncoding.DecodeString(string(clean))
	if err != nil {
		return nil, fmt.Errorf("est: body is not base64: %w", err)
	}
	if len(der) == 0 {
		return nil, errors.New("est: empty body")
	}
	return der, nil
}
