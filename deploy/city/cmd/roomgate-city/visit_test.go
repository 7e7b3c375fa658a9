package main

import (
	"strings"
	"testing"
)

func TestVisitAddErrors(t *testing.T) {
	keyFile, _ := signKey(t)
	base := []string{"-sign-key", keyFile, "-visits", t.TempDir() + "/visits.json", "-device", "dev-a", "-name", "An", "-gate", "hq", "-photo", "an.jpg"}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no photo", []string{"-sign-key", keyFile, "-device", "dev-a"}, "-photo is required"},
		{"no device", []string{"-photo", "an.jpg"}, "-device is required"},
		{"short number", append(base, "-id-number", "0010990123", "-from", "2026-03-02T08:00:00+07:00", "-until", "2026-03-02T17:00:00+07:00"), "want the card's 12 digits"},
		{"bad time", append(base, "-id-number", "001099012345", "-from", "8am", "-until", "2026-03-02T17:00:00+07:00"), "-from \"8am\""},
		{"ended", append(base, "-id-number", "001099012345", "-from", "2026-03-01T08:00:00+07:00", "-until", "2026-03-01T17:00:00+07:00"), "has passed"},
	} {
		_, _, err := runAt(testNow, "", append([]string{"visit", "add"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: visit add = %v, want %q", c.name, err, c.want)
		}
	}
	if _, _, err := runAt(testNow, "", "visit", "remove", "-sign-key", keyFile, "-visits", t.TempDir()+"/none.json", "-id", "V-9"); err == nil || !strings.Contains(err.Error(), "no visit V-9") {
		t.Errorf("visit remove of an unknown id = %v", err)
	}
}
