package provision

import (
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/roomgate/roomgate/deploy/city/enrol/enroltest"
	"github.com/roomgate/roomgate/provisioning/claim"
	"github.com/roomgate/roomgate/provisioning/est"
)

func connectEST(url, fingerprint string) (City, error) { return est.NewClient(url, fingerprint) }

func connectRenewal(url, fingerprint string) (Reenroller, error) {
	return est.NewClient(url, fingerprint)
}

// A box provisioned from a claim by the real enrolment server renews its
// certificate there: a new key and certificate swapped in, the rest of the
// provisioning kept; a revoked box's renewal is refused and changes nothing.
func TestProvisionAndRenewWithTheCity(t *testing.T) {
	city := enroltest.Start(t, enroltest.Options{})
	dir := filepath.Join(t.TempDir(), "provisioning")
	res, err := Run(context.Background(), city.Claim(t, "gate-9", claim.KindGate, "quan-1"), Options{Dir: dir, Connect: connectEST}, nil)
	if err != nil {
		t.Fatalf("provisioning from the real city: %v", err)
	}
	before := readDir(t, dir)
	oldCert, err := readCert(filepath.Join(dir, CertName))
	if err != nil {
		t.Fatal(err)
	}
	cfgURL := city.URL
	renewed, err := Renew(context.Background(), dir, cfgURL, connectRenewal)
	if err != nil {
		t.Fatalf("renewal: %v", err)
	}
	after := readDir(t, dir)
	for name, content := range before {
		switch name {
		case KeyName, CertName:
			if after[name] == content {
				t.Errorf("%s is unchanged by the renewal", name)
			}
		default:
			if after[name] != content {
				t.Errorf("%s changed in the renewal", name)
			}
		}
	}
	if len(after) != len(before) {
		t.Errorf("the renewal left %d files, provisioning wrote %d", len(after), len(before))
	}
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, CertName), filepath.Join(dir, KeyName))
	if err != nil {
		t.Fatalf("the renewed pair does not load: %v", err)
	}
	if !pair.Leaf.Equal(renewed) || pair.Leaf.Subject.CommonName != res.Device || pair.Leaf.SerialNumber.Cmp(oldCert.SerialNumber) == 0 {
		t.Errorf("renewed certificate %v (serial %v), old serial %v", pair.Leaf.Subject, pair.Leaf.SerialNumber, oldCert.SerialNumber)
	}
	for name := range after {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want 0600", name, err, fi.Mode().Perm())
		}
	}

	if _, err := city.CA.RevokeDevice("gate-9", time.Now()); err != nil {
		t.Fatal(err)
	}
	before = readDir(t, dir)
	_, err = Renew(context.Background(), dir, cfgURL, connectRenewal)
	if est.ReasonOf(err) != est.ReasonRevoked {
		t.Errorf("renewal of a revoked box: %v, want %s", err, est.ReasonRevoked)
	}
	if after := readDir(t, dir); len(after) != len(before) || after[CertName] != before[CertName] || after[KeyName] != before[KeyName] {
		t.Error("a refused renewal changed the provisioning")
	}
}

// readDir is the provisioning directory's files by name.
func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(b)
	}
	return files
}
