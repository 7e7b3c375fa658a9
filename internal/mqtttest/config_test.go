package mqtttest

import (
	"os"
	"strings"
	"testing"
)

var testPaths = paths{cafile: "/t/ca.pem", certfile: "/t/b.pem", keyfile: "/t/b.key", aclfile: "/t/acl", crlfile: "/t/crl.pem", persist: "/t/data/"}

func TestConfigFromShipped(t *testing.T) {
	shipped, err := os.ReadFile("../../deploy/mosquitto/roomgate.conf")
	if err != nil {
		t.Fatal(err)
	}
	got, err := config(string(shipped), 12345, testPaths)
	if err != nil {
		t.Fatalf("config(roomgate.conf) error: %v", err)
	}
	for _, want := range []string{"\nlistener 12345 127.0.0.1\n", "\ncafile /t/ca.pem\n", "\nkeyfile /t/b.key\n", "\nacl_file /t/acl\n",
		"\npersistence_location /t/data/\n", "\nrequire_certificate true\n", "\nuse_identity_as_username true\n",
		"\nuse_username_as_clientid true\n", "\ncrlfile /t/crl.pem\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("config(roomgate.conf) lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "/etc/mosquitto") {
		t.Errorf("config(roomgate.conf) still names /etc/mosquitto:\n%s", got)
	}
}

func TestConfigRejects(t *testing.T) {
	const good = "per_listener_settings true\nlistener 8883\ncafile a\ncertfile b\nkeyfile c\nacl_file d\ncrlfile e\n"
	if _, err := config(good, 1, testPaths); err != nil {
		t.Fatalf("config(good) error: %v", err)
	}
	for _, tc := range []struct{ name, conf string }{
		{"no listener", strings.Replace(good, "listener 8883\n", "", 1)},
		{"two listeners", good + "listener 1883\n"},
		{"no acl", strings.Replace(good, "acl_file d\n", "", 1)},
		{"no crl", strings.Replace(good, "crlfile e\n", "", 1)},
		{"own log_dest", good + "log_dest file /var/log/x\n"},
		{"own persistence_location", good + "persistence_location /var/lib/x/\n"},
	} {
		if _, err := config(tc.conf, 1, testPaths); err == nil {
			t.Errorf("config(%s) error = nil, want an error", tc.name)
		}
	}
}
