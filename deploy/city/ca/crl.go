package ca

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/roomgate/roomgate/internal/syncfile"
)

// Revoked is a certificate the CA has revoked.
type Revoked struct {
	Serial *big.Int
	At     time.Time
	CN     string // for people reading the list; "" when revoked by serial
}

// CRLFile is the path of the CA's certificate revocation list: the broker's
// crlfile.
func (c *CA) CRLFile() string { return filepath.Join(c.dir, CRLName) }

// RevokeCert revokes the certificate in certFile, which this CA must have
// issued, and writes the CRL again.
func (c *CA) RevokeCert(certFile string, at time.Time) (Revoked, error) {
	cert, err := readCert(certFile)
	if err != nil {
		return Revoked{}, err
	}
	if err := cert.CheckSignatureFrom(c.cert); err != nil {
		return Revoked{}, fmt.Errorf("ca: %s was not issued by this CA: %w", certFile, err)
	}
	if cert.IsCA {
		return Revoked{}, fmt.Errorf("ca: %s is a CA certificate; make a new CA instead", certFile)
	}
	return c.revoke(Revoked{Serial: cert.SerialNumber, At: at, CN: cert.Subject.CommonName})
}

// RevokeSerial revokes the certificate with serial number serial (hex, as
// `openssl x509 -serial` prints it, colons allowed) and writes the CRL again.
func (c *CA) RevokeSerial(serial string, at time.Time) (Revoked, error) {
	n, ok := new(big.Int).SetString(strings.ReplaceAll(strings.TrimPrefix(strings.ToLower(serial), "0x"), ":", ""), 16)
	if !ok || n.Sign() <= 0 {
		return Revoked{}, fmt.Errorf("ca: serial %q: want a positive hexadecimal number", serial)
	}
	return c.revoke(Revoked{Serial: n, At: at})
}

// revoke adds r to the revoked list, unless its serial is there already,
// and writes the CRL with its default lifetime.
func (c *CA) revoke(r Revoked) (Revoked, error) {
	out, err := c.revokeAll([]Revoked{r})
	if err != nil {
		return Revoked{}, err
	}
	return out[0], nil
}

// revokeAll adds each of rs to the revoked list, unless its serial is there
// already (then the earlier entry is returned), and writes the CRL once.
func (c *CA) revokeAll(rs []Revoked) ([]Revoked, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	list, err := c.Revoked()
	if err != nil {
		return nil, err
	}
	out := make([]Revoked, 0, len(rs))
	added := false
	for _, r := range rs {
		if i := slices.IndexFunc(list, func(x Revoked) bool { return x.Serial.Cmp(r.Serial) == 0 }); i >= 0 {
			out = append(out, list[i])
			continue
		}
		list = append(list, r)
		out = append(out, r)
		added = true
	}
	if added {
		var b bytes.Buffer
		for _, x := range list {
			fmt.Fprintf(&b, "%x %s %s\n", x.Serial, x.At.UTC().Format(time.RFC3339), x.CN)
		}
		if err := syncfile.Replace(filepath.Join(c.dir, RevokedName), b.Bytes(), 0o644); err != nil {
			return nil, err
		}
	}
	if _, err := c.WriteCRL(CRLLifetime); err != nil {
		return nil, err
	}
	return out, nil
}

// Revoked reads the revoked list; a CA that never revoked has none.
func (c *CA) Revoked() ([]Revoked, error) { return readRevoked(c.dir) }

func readRevoked(dir string) ([]Revoked, error) {
	name := filepath.Join(dir, RevokedName)
	data, err := readRecord(name)
	if data == nil {
		return nil, err
	}
	var list []Revoked
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 || len(f) > 3 {
			return nil, fmt.Errorf("ca: %s:%d: want SERIAL TIME [CN]", name, line)
		}
		n, ok := new(big.Int).SetString(f[0], 16)
		at, err := time.Parse(time.RFC3339, f[1])
		if !ok || err != nil {
			return nil, fmt.Errorf("ca: %s:%d: want a hexadecimal serial and an RFC 3339 time", name, line)
		}
		r := Revoked{Serial: n, At: at}
		if len(f) == 3 {
			r.CN = f[2]
		}
		list = append(list, r)
	}
	return list, sc.Err()
}

// WriteCRL writes crl.pem, signed by the CA, listing every revoked
// certificate and valid for valid from now.
func (c *CA) WriteCRL(valid time.Duration) (string, error) {
	if valid <= 0 {
		return "", fmt.Errorf("ca: CRL lifetime %v: want more than 0", valid)
	}
	list, err := c.Revoked()
	if err != nil {
		return "", err
	}
	now := time.Now()
	tmpl := &x509.RevocationList{
		// Increasing, as RFC 5280 wants of a CRL number, without a counter
		// to keep.
		Number:     big.NewInt(now.UnixNano()),
		ThisUpdate: now.Add(-backdate),
		NextUpdate: now.Add(valid),
	}
	for _, r := range list {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: r.Serial, RevocationTime: r.At})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, c.cert, c.key)
	if err != nil {
		return "", fmt.Errorf("ca: sign CRL: %w", err)
	}
	if err := syncfile.Replace(c.CRLFile(), pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}), 0o644); err != nil {
		return "", err
	}
	return c.CRLFile(), nil
}
