package pass

import (
	"errors"
	"testing"
	"time"
)

func TestInWindow(t *testing.T) {
	nbf := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	exp := nbf.Add(8 * time.Hour)
	c := Claims{NotBefore: nbf, Expires: exp}
	skew := 30 * time.Second
	tests := []struct {
		name string
		c    Claims
		now  time.Time
		skew time.Duration
		want error
	}{
		{"inside", c, nbf.Add(time.Hour), 0, nil},
		{"at nbf", c, nbf, 0, nil},
		{"just before nbf", c, nbf.Add(-time.Nanosecond), 0, ErrNotYetValid},
		{"before nbf within skew", c, nbf.Add(-skew), skew, nil},
		{"before nbf past skew", c, nbf.Add(-skew - time.Nanosecond), skew, ErrNotYetValid},
		{"just before exp", c, exp.Add(-time.Nanosecond), 0, nil},
		{"at exp", c, exp, 0, ErrExpired},
		{"after exp within skew", c, exp.Add(skew - time.Nanosecond), skew, nil},
		{"after exp at skew", c, exp.Add(skew), skew, ErrExpired},
		{"no nbf", Claims{Expires: exp}, time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), 0, nil},
		{"no exp", Claims{}, nbf, skew, ErrExpired},
	}
	for _, tt := range tests {
		if err := tt.c.InWindow(tt.now, tt.skew); !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
			t.Errorf("%s: InWindow(%s, %s) = %v, want %v", tt.name, tt.now.Format(time.RFC3339Nano), tt.skew, err, tt.want)
		}
	}
}

func TestInWindowMessage(t *testing.T) {
	c := Claims{Expires: time.Date(2026, 1, 1, 16, 0, 0, 0, time.UTC)}
	err := c.InWindow(time.Date(2026, 1, 2, 0, 0, 0, 0, time.FixedZone("ICT", 7*3600)), 0)
	if want := "pass: expired at 2026-01-01T16:00:00Z, now 2026-01-01T17:00:00Z"; err == nil || err.Error() != want {
		t.Errorf("InWindow() = %v, want %s", err, want)
	}
}

func TestFor(t *testing.T) {
	tests := []struct {
		aud  []string
		ids  []string
		want bool
	}{
		{[]string{"hq-gate-1"}, []string{"hq-gate-1", "hq"}, true},
		{[]string{"hq"}, []string{"hq-gate-1", "hq"}, true},
		{[]string{"annex", "hq"}, []string{"hq-gate-1", "hq"}, true},
		{[]string{"annex"}, []string{"hq-gate-1", "hq"}, false},
		{[]string{"HQ"}, []string{"hq"}, false},
		{[]string{"hq-gate"}, []string{"hq-gate-1"}, false},
		{[]string{"hq"}, nil, false},
		{nil, []string{"hq"}, false},
		{[]string{""}, []string{""}, false},
	}
	for _, tt := range tests {
		if got := (Claims{Audience: tt.aud}).For(tt.ids...); got != tt.want {
			t.Errorf("Claims{Audience: %q}.For(%q) = %v, want %v", tt.aud, tt.ids, got, tt.want)
		}
	}
}

// Audience written as a string and as an array reads the same.
func TestAudienceForms(t *testing.T) {
	for _, p := range []string{
		`{"jti":"a","iss":"city","exp":2000000000,"aud":"hq"}`,
		`{"jti":"a","iss":"city","exp":2000000000,"aud":["hq"]}`,
		`{"jti":"a","iss":"city","exp":2000000000,"aud":["annex","hq"]}`,
	} {
		c, _, err := Verify(signRaw(cityHeader, p, cityKey), testKeys)
		if err != nil || !c.For("hq-gate-1", "hq") || c.For("hq-gate-2", "elsewhere") {
			t.Errorf("Verify(%s) = %+v, %v; want For(hq) only", p, c, err)
		}
	}
}
