package pass

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Claims are a pass's claims. Verify fills every field: Uses is at least 1,
// Audience is not empty and NotBefore is zero when the pass has no nbf.
type Claims struct {
	ID       string   // jti, the pass id
	Issuer   string   // iss
	Subject  string   // sub, the visitor
	Name     string   // name, the visitor's name to show at the gate
	Host     string   // host, whom the visitor comes to see
	Audience []string // aud, the sites (site) and gates (site/gate) the pass opens

	NotBefore time.Time // nbf; zero means valid from issue
	Expires   time.Time // exp
	IssuedAt  time.Time // iat; zero when the pass does not say

	Uses int // entries allowed; 1 is a one-time pass
}

// Limits on claim values. Dates past year 9999 and use counts past int32
// behave the same on 32- and 64-bit boxes by being refused outright.
const (
	MaxIDSize      = 128
	MaxUses        = 1<<31 - 1
	maxNumericDate = 253402300799 // 9999-12-31T23:59:59Z
)

// DefaultMaxLifetime is how long a pass may be valid unless the box's
// policy says otherwise: a leaked or forgotten pass should not open a door
// for decades.
const DefaultMaxLifetime = 365 * 24 * time.Hour

// CheckLifetime returns ErrLifetime when the pass is valid for longer than
// max: from nbf, else from iat, else (a pass that says neither) from now.
// A zero now, for a clock not to be trusted, checks only passes with nbf
// or iat: a box that booted in 1970 would find every other pass too long.
func (c Claims) CheckLifetime(now time.Time, max time.Duration) error {
	from, what := now, "now"
	switch {
	case !c.NotBefore.IsZero():
		from, what = c.NotBefore, "nbf"
	case !c.IssuedAt.IsZero():
		from, what = c.IssuedAt, "iat"
	case now.IsZero():
		return nil
	}
	if life := c.Expires.Sub(from); life > max {
		return errorf(ErrLifetime, "lifetime too long: valid %s from %s to exp, limit %s", life.Round(time.Second), what, max)
	}
	return nil
}

// InWindow reports whether now lies in [nbf, exp), widened by skew on both
// sides to tolerate clocks that are slightly off. It returns ErrExpired or
// ErrNotYetValid (wrapped with the dates) otherwise.
func (c Claims) InWindow(now time.Time, skew time.Duration) error {
	if !c.NotBefore.IsZero() && now.Add(skew).Before(c.NotBefore) {
		return errorf(ErrNotYetValid, "valid from %s, now %s", c.NotBefore.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if !now.Add(-skew).Before(c.Expires) {
		return errorf(ErrExpired, "expired at %s, now %s", c.Expires.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

// For reports whether the audience admits gate of site (see Admits).
func (c Claims) For(site, gate string) bool { return Admits(c.Audience, site, gate) }

// Admits reports whether aud names site, or gate qualified by its site as
// "site/gate". A bare entry is a site id only: gate names repeat from site
// to site (every site has a main-gate), so a bare gate would open the gate
// of that name everywhere. An empty site matches nothing.
func Admits(aud []string, site, gate string) bool {
	if site == "" {
		return false
	}
	return slices.Contains(aud, site) || gate != "" && slices.Contains(aud, site+"/"+gate)
}

// check applies the rules every pass must meet, on both the issuing and the
// verifying side; callers wrap its error in ErrClaims.
func (c Claims) check() error {
	switch {
	case c.ID == "":
		return errors.New("jti missing")
	case len(c.ID) > MaxIDSize:
		return fmt.Errorf("jti is %d bytes, limit %d", len(c.ID), MaxIDSize)
	case c.Expires.IsZero():
		return errors.New("exp missing")
	case len(c.Audience) == 0:
		return errors.New("aud missing")
	case c.Uses < 1 || c.Uses > MaxUses:
		return fmt.Errorf("uses %d not in 1..%d", c.Uses, MaxUses)
	case !c.NotBefore.IsZero() && !c.NotBefore.Before(c.Expires):
		return fmt.Errorf("nbf %d not before exp %d", c.NotBefore.Unix(), c.Expires.Unix())
	}
	for _, t := range []time.Time{c.NotBefore, c.Expires, c.IssuedAt} {
		if !t.IsZero() && (t.Unix() < 0 || t.Unix() > maxNumericDate) {
			return fmt.Errorf("date %d out of range", t.Unix())
		}
	}
	for _, a := range c.Audience {
		if a == "" {
			return errors.New("empty aud entry")
		}
	}
	return nil
}
