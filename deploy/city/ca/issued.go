package ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/roomgate/roomgate/internal/syncfile"
)

// IssuedName is the record of every client certificate the CA issued, by CN:
// what `device revoke` revokes.
const IssuedName = "issued.json"

// minRSABits is the smallest RSA key SignCSR certifies.
const minRSABits = 2048

// Issued is one client certificate the CA issued.
type Issued struct {
	CN       string    `json:"cn"`
	Serial   string    `json:"serial"` // hex, as the revoked list has it
	NotAfter time.Time `json:"not_after"`
}

// ErrCSR is wrapped by SignCSR's refusals of the request itself.
var ErrCSR = errors.New("ca: certificate request refused")

// SignCSR issues a client certificate for cn to the key in csrDER, valid for
// the CA's lifetime. The request must be signed by its key, name cn as its
// CN, and hold an allowed key (ECDSA P-256 or P-384, Ed25519, RSA of 2048
// bits or more). Nothing else in it is used: the CA, not the box, decides
// what the certificate says.
func (c *CA) SignCSR(cn string, csrDER []byte) (*x509.Certificate, error) {
	if !namePattern.MatchString(cn) {
		return nil, fmt.Errorf("ca: client name %q: want lowercase letters, digits and '-', at most 63", cn)
	}
	csr, err := x509.ParseCertificateRequest(csrDER)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCSR, err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("%w: signature: %v", ErrCSR, err)
	}
	if csr.Subject.CommonName != cn {
		return nil, fmt.Errorf("%w: CN %.70q, want %q", ErrCSR, csr.Subject.CommonName, cn)
	}
	if err := AllowedKey(csr.PublicKey); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCSR, err)
	}
	skid, err := subjectKeyID(csr.PublicKey)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"roomgate"}},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		SubjectKeyId: skid,
	}
	if _, ok := csr.PublicKey.(*rsa.PublicKey); ok {
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	return c.sign(tmpl, csr.PublicKey)
}

// AllowedKey refuses keys the CA does not certify: ECDSA other than P-256
// and P-384, RSA under 2048 bits, and anything but ECDSA, Ed25519 and RSA.
func AllowedKey(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() {
			return fmt.Errorf("ECDSA curve %s: want P-256 or P-384", k.Curve.Params().Name)
		}
	case ed25519.PublicKey:
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			return fmt.Errorf("RSA key of %d bits: want at least %d", k.N.BitLen(), minRSABits)
		}
	default:
		return fmt.Errorf("key type %T: want ECDSA P-256", pub)
	}
	return nil
}

// subjectKeyID is the SHA-1 of the public key's bit string (RFC 5280
// section 4.2.1.2 (1)) for any key type.
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		Key       asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	sum := sha1.Sum(spki.Key.Bytes)
	return sum[:], nil
}

// sign completes tmpl (serial, validity), signs it for pub, and records it
// by CN when it is a client certificate.
func (c *CA) sign(tmpl *x509.Certificate, pub crypto.PublicKey) (*x509.Certificate, error) {
	var err error
	if tmpl.SerialNumber, err = newSerial(); err != nil {
		return nil, err
	}
	tmpl.NotBefore = time.Now().Add(-backdate)
	tmpl.NotAfter = tmpl.NotBefore.Add(c.lifetime)
	if tmpl.NotAfter.After(c.cert.NotAfter) {
		tmpl.NotAfter = c.cert.NotAfter
	}
	tmpl.BasicConstraintsValid = true
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, pub, c.key)
	if err != nil {
		return nil, fmt.Errorf("ca: sign %s: %w", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	for _, u := range cert.ExtKeyUsage {
		if u == x509.ExtKeyUsageClientAuth {
			if err := c.record(Issued{CN: cert.Subject.CommonName, Serial: fmt.Sprintf("%x", cert.SerialNumber), NotAfter: cert.NotAfter}); err != nil {
				return nil, err
			}
		}
	}
	return cert, nil
}

// record appends one issued certificate to the record. The CA is used by
// one process at a time (the enrolment server or a command), and c.mu
// serialises that process's own writers.
func (c *CA) record(i Issued) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	list, err := c.Issued()
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(append(list, i), "", " ")
	if err != nil {
		return fmt.Errorf("ca: %w", err)
	}
	return syncfile.Replace(filepath.Join(c.dir, IssuedName), append(b, '\n'), 0o600)
}

// Issued reads the record of issued client certificates; a CA that issued
// none has none.
func (c *CA) Issued() ([]Issued, error) { return readIssued(c.dir) }

func readIssued(dir string) ([]Issued, error) {
	name := filepath.Join(dir, IssuedName)
	data, err := readRecord(name)
	if data == nil {
		return nil, err
	}
	var list []Issued
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("ca: %s: %w", name, err)
	}
	return list, nil
}

// RevokeDevice revokes every certificate the record says was issued to cn,
// expired ones included (harmless, and a clock may be wrong), and writes the
// CRL again. It returns what it revoked; none issued is an error, so a typo
// in a device name does not pass for a revocation.
func (c *CA) RevokeDevice(cn string, at time.Time) ([]Revoked, error) {
	list, err := c.Issued()
	if err != nil {
		return nil, err
	}
	var rs []Revoked
	for _, i := range list {
		if i.CN != cn {
			continue
		}
		n, ok := new(big.Int).SetString(i.Serial, 16)
		if !ok {
			return nil, fmt.Errorf("ca: %s: serial %q of %s is not hexadecimal", IssuedName, i.Serial, cn)
		}
		rs = append(rs, Revoked{Serial: n, At: at, CN: cn})
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("ca: no certificate issued to %q in %s", cn, filepath.Join(c.dir, IssuedName))
	}
	return c.revokeAll(rs)
}

// IsRevoked says whether cert's serial is on the CA's revoked list.
func (c *CA) IsRevoked(cert *x509.Certificate) (bool, error) {
	list, err := c.Revoked()
	if err != nil {
		return false, err
	}
	for _, r := range list {
		if r.Serial.Cmp(cert.SerialNumber) == 0 {
			return true, nil
		}
	}
	return false, nil
}

// readRecord reads one of the CA's records; a record never written yet
// (no certificate issued or revoked) reads as empty: nil data, no error.
func readRecord(name string) ([]byte, error) {
	data, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	return data, nil
}
