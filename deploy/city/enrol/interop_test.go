package enrol

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/provisioning/claim"
	"github.com/roomgate/roomgate/provisioning/est"
)

// The server enrols a CSR made by openssl and sent by curl, as RFC 7030's
// examples do, and its answers decode with openssl.
func TestInteropCurlOpenSSL(t *testing.T) {
	for _, tool := range []string{"curl", "openssl", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (deploy/install-deps.sh installs it): %v", tool, err)
		}
	}
	c := startCity(t)
	token := c.addClaim(t, "room-201", claim.KindRoom, time.Hour)
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pemCert(c.ca.Certificate().Raw), 0o644); err != nil {
		t.Fatal(err)
	}
	sh := func(script string) string {
		t.Helper()
		cmd := exec.Command("sh", "-ec", script)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "URL="+c.url, "TOKEN="+token)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s\n%s: %v", script, out, err)
		}
		return string(out)
	}
	sh(`openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout box.key -subj /CN=room-201 -outform DER 2>/dev/null | base64 > csr.b64`)
	out := sh(`curl -sS --fail-with-body --cacert ca.pem -u "room-201:$TOKEN" -H 'Content-Type: application/pkcs10' --data-binary @csr.b64 "$URL` + est.PathSimpleEnroll + `" -o cert.p7.b64 -D headers
openssl base64 -d -in cert.p7.b64 | openssl pkcs7 -inform DER -print_certs`)
	if !strings.Contains(out, "CN = room-201") && !strings.Contains(out, "CN=room-201") {
		t.Errorf("openssl pkcs7 -print_certs of the answer shows no CN room-201:\n%s", out)
	}
	headers := strings.ToLower(sh(`cat headers`))
	if !strings.Contains(headers, "content-type: application/pkcs7-mime; smime-type=certs-only") || !strings.Contains(headers, "content-transfer-encoding: base64") {
		t.Errorf("answer headers:\n%s", headers)
	}
	// The issued certificate is for openssl's key.
	if got := sh(`openssl base64 -d -in cert.p7.b64 | openssl pkcs7 -inform DER -print_certs | openssl x509 -noout -pubkey; openssl pkey -in box.key -pubout`); strings.Count(got, "BEGIN PUBLIC KEY") != 2 || !samePEMHalves(got) {
		t.Errorf("the certificate's key is not openssl's:\n%s", got)
	}
	out = sh(`curl -sS --fail-with-body --cacert ca.pem "$URL` + est.PathCACerts + `" | openssl base64 -d | openssl pkcs7 -inform DER -print_certs`)
	if !strings.Contains(out, "roomgate development CA") {
		t.Errorf("cacerts decoded by openssl:\n%s", out)
	}
	// A wrong token, by curl: 401 with the reason first.
	out = sh(`curl -sS --cacert ca.pem -u room-201:wrong -H 'Content-Type: application/pkcs10' --data-binary @csr.b64 -w ' %{http_code}' "$URL` + est.PathSimpleEnroll + `"`)
	if !strings.HasPrefix(out, est.ReasonUnauthorized+" ") || !strings.HasSuffix(out, " 401") {
		t.Errorf("wrong token: %q", out)
	}
}

func samePEMHalves(s string) bool {
	i := strings.Index(s, "-----END PUBLIC KEY-----")
	return i > 0 && strings.TrimSpace(s[:i]) == strings.TrimSpace(s[i+len("-----END PUBLIC KEY-----"):strings.LastIndex(s, "-----END PUBLIC KEY-----")])
}
