package main

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/agent/pass"
)

func TestConfigValidate(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("identity:\n  site: HQ!\n  gate: g\n  device: d\nboard: rpi9\npolicy:\n  pulse: 3\n  colour: red\n"), 0o600)
	var stdout, stderr bytes.Buffer
	err := run([]string{"config", "validate", bad}, &stdout, &stderr)
	if !errors.Is(err, errUsage) {
		t.Fatalf("config validate bad.yaml = %v, want a non-zero exit", err)
	}
	for _, want := range []string{bad + ":2: identity.site:", bad + ":5: board:", bad + ":7: policy.pulse:", bad + ":8: policy.colour:"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("config validate output lacks %q:\n%s", want, stderr.String())
		}
	}

	// The demo config as run.sh lays it out: its certificates are made at
	// the demo's first start, so empty stand-ins take their place here, as
	// for the sample video.
	demo := filepath.Join(t.TempDir(), "roomgate.yaml")
	for src, dst := range map[string]string{"roomgate.yaml": demo, "demo-city.pub": filepath.Join(filepath.Dir(demo), "demo-city.pub")} {
		b, err := os.ReadFile(filepath.Join("../../../deploy/demo", src))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"ca", "keys"} {
		if err := os.MkdirAll(filepath.Join(filepath.Dir(demo), "run", d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// The city's signing key must be a real public key to validate.
	cityPub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	cityPEM, err := pass.MarshalPublicKeyPEM(cityPub)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(demo), "run", "keys", "city-ops.pub"), cityPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(filepath.Dir(demo), "media"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"run/ca/ca.pem", "run/ca/demo-box-01.pem", "run/ca/demo-box-01.key", "media/sample.avi"} {
		if err := os.WriteFile(filepath.Join(filepath.Dir(demo), f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	stdout.Reset()
	if err := run([]string{"config", "validate", demo}, &stdout, &stderr); err != nil {
		t.Errorf("config validate demo = %v, want ok; %s", err, stderr.String())
	}
	if !strings.HasSuffix(stdout.String(), ": ok\n") {
		t.Errorf("config validate demo printed %q, want ...: ok", stdout.String())
	}
}

func TestUsageAndVersion(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run([]string{"frobnicate"}, &stdout, &stderr); !errors.Is(err, errUsage) || !strings.Contains(stderr.String(), "config validate") {
		t.Errorf("run(frobnicate) = %v, %q; want usage listing the commands", err, stderr.String())
	}
	if err := run([]string{"version"}, &stdout, &stderr); err != nil || !strings.HasPrefix(stdout.String(), "roomgate ") {
		t.Errorf("run(version) = %v, %q", err, stdout.String())
	}
}

// config validate passes a config with settings that weaken the box, and
// says what they cost.
func TestConfigValidateWarns(t *testing.T) {
	for _, c := range []struct{ name, yaml, want string }{
		{"remote kiosk", "http: {listen: \"0.0.0.0:8080\"}\nkiosk: {allow_remote: true}\n",
			"warning: kiosk.allow_remote: the kiosk on 0.0.0.0:8080 answers other machines"},
		{"research model", "vision: {recognizer: mobilefacenet_y1}\n",
			"warning: vision.recognizer: mobilefacenet_y1 is licensed for non-commercial research only, for comparison on a developer's machine: " +
				"it must not be deployed at a city site"},
		{"custom model without a fit", "vision: {recognizer_model: sface.onnx, recognizer_name: sface}\n",
			"warning: vision.decision: vote, because recognizer_model sface.onnx has no fitted vision.evidence"},
	} {
		path := filepath.Join(t.TempDir(), "box.yaml")
		if err := os.WriteFile(filepath.Join(filepath.Dir(path), "sface.onnx"), []byte("onnx"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("identity: {site: hq, gate: east, device: box-1}\nboard: sim\n"+c.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		if err := run([]string{"config", "validate", path}, &stdout, &stderr); err != nil || stdout.String() != path+": ok\n" {
			t.Fatalf("%s: config validate = %v, %q, want ok with a warning; %s", c.name, err, stdout.String(), stderr.String())
		}
		if want := path + ": " + c.want; !strings.HasPrefix(stderr.String(), want) {
			t.Errorf("%s: config validate printed %q, want %q...", c.name, stderr.String(), want)
		}
	}
}
