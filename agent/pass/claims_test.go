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
		aud        []string
		site, gate string
		want       bool
	}{
		{[]string{"hq/gate-1"}, "hq", "gate-1", true},
		{[]string{"hq"}, "hq", "gate-1", true},
		{[]string{"annex", "hq"}, "hq", "gate-1", true},
		{[]string{"annex/gate-1", "hq/gate-1"}, "hq", "gate-1", true},
		{[]string{"annex"}, "hq", "gate-1", false},
		// A bare gate id is not a gate: every site may have a gate-1.
		{[]string{"gate-1"}, "hq", "gate-1", false},
		{[]string{"annex/gate-1"}, "hq", "gate-1", false},
		{[]string{"hq/gate-2"}, "hq", "gate-1", false},
		{[]string{"HQ"}, "hq", "gate-1", false},
		{[]string{"hq/"}, "hq", "", false},
		{[]string{"/gate-1"}, "", "gate-1", false},
		{[]string{"hq"}, "", "", false},
		{nil, "hq", "gate-1", false},
		{[]string{""}, "", "", false},
	}
	for _, tt := range tests {
		if got := (Claims{Audience: tt.aud}).For(tt.site, tt.gate); got != tt.want {
			t.Errorf("Claims{Audience: %q}.For(%q, %q) = %v, want %v", tt.aud, tt.site, tt.gate, got, tt.want)
		}
	}
}

func TestCheckLifetime(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	year := DefaultMaxLifetime
	tests := []struct {
		name string
		c    Claims
		want error
	}{
		{"exp 1e10, nothing else", Claims{Expires: time.Unix(1e10, 0)}, ErrLifetime},
		{"a year from now", Claims{Expires: now.Add(year)}, nil},
		{"a year and a second from now", Claims{Expires: now.Add(year + time.Second)}, ErrLifetime},
		{"a year from nbf", Claims{NotBefore: now.Add(time.Hour), Expires: now.Add(time.Hour + year)}, nil},
		{"over a year from nbf", Claims{NotBefore: now.Add(-time.Hour), Expires: now.Add(year)}, ErrLifetime},
		{"over a year from iat", Claims{IssuedAt: now.Add(-48 * time.Hour), Expires: now.Add(year - 24*time.Hour)}, ErrLifetime},
		{"nbf wins over iat", Claims{IssuedAt: now.Add(-48 * time.Hour), NotBefore: now, Expires: now.Add(year - 24*time.Hour)}, nil},
		{"expired long ago", Claims{Expires: now.Add(-time.Hour)}, nil},
	}
	for _, tt := range tests {
		err := tt.c.CheckLifetime(now, year)
		if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
			t.Errorf("%s: CheckLifetime() = %v, want %v", tt.name, err, tt.want)
		}
		if err != nil && Reason(err) != "lifetime_too_long" {
			t.Errorf("%s: Reason(%v) = %q, want lifetime_too_long", tt.name, err, Reason(err))
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
		if err != nil || !c.For("hq", "gate-1") || c.For("elsewhere", "gate-2") {
			t.Errorf("Verify(%s) = %+v, %v; want For(hq) only", p, c, err)
		}
	}
}

// Without a clock to trust only nbf and iat can date a pass.
func TestCheckLifetimeWithoutClock(t *testing.T) {
	exp := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	if err := (Claims{Expires: exp}).CheckLifetime(time.Time{}, time.Hour); err != nil {
		t.Errorf("CheckLifetime(no nbf or iat, no clock) = %v, want nil", err)
	}
	if err := (Claims{IssuedAt: exp.Add(-2 * time.Hour), Expires: exp}).CheckLifetime(time.Time{}, time.Hour); !errors.Is(err, ErrLifetime) {
		t.Errorf("CheckLifetime(iat two hours before exp, no clock) = %v, want ErrLifetime", err)
	}
}
