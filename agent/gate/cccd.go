package gate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/roomgate/roomgate/agent/pass"
	"github.com/roomgate/roomgate/agent/store"
)

// A chip ID card (CCCD) QR reads "ID number|old ID|full name|birth date|sex|address|issue date".
// It is unsigned: it only names a visit that the city registered in advance.
func looksLikeCCCD(s string) bool {
	id, _, ok := strings.Cut(s, "|")
	return ok && validIDNumber(id)
}

func validIDNumber(id string) bool {
	if len(id) != 12 {
		return false
	}
	for _, c := range id {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (g *Gate) handleCCCD(ctx context.Context, e store.Entry, text string) (store.Entry, error) {
	if !g.policy.AllowCCCD {
		// A gate that takes no ID cards has no reason to keep a card's
		// personal data, nor its hash: the card's fields are few and
		// guessable, and the hash would link the holder's visits.
		e.ScanSHA256 = ""
		return g.deny(ctx, e, ReasonCCCDNotAllowed, "this gate does not accept ID cards")
	}
	fields := strings.Split(text, "|")
	e.Subject = fields[0]
	if len(fields) > 2 {
		e.Name = fields[2]
	}
	visits, err := g.store.VisitsFor(ctx, e.Subject)
	if errors.Is(err, store.ErrNoVisit) {
		return g.deny(ctx, e, ReasonNoVisit, "no visit registered for this ID card")
	}
	if err != nil {
		return store.Entry{}, err
	}
	var here []store.Visit
	for _, v := range visits {
		if pass.Admits(v.Gates, g.policy.Site, g.policy.Gate) {
			here = append(here, v)
		}
	}
	if len(here) == 0 {
		return g.deny(ctx, e, ReasonWrongGate, "the registered visit is for another gate")
	}
	visit, reason, detail := g.currentVisit(e, here)
	if reason != "" {
		return g.deny(ctx, e, reason, detail)
	}
	e.PassID, e.Host = visit.ID, visit.Host
	if visit.Name != "" {
		e.Name = visit.Name
	}
	// Anyone can print a card's QR: the face at the camera must be the
	// visitor's the city registered.
	if reason, detail := g.checkFace(ctx, visit); reason != "" {
		return g.deny(ctx, e, reason, detail)
	}
	return g.decideUses(ctx, e, "visit:"+visit.ID, "", visit.Uses)
}

// currentVisit picks the visit whose window holds now, or says why none does.
func (g *Gate) currentVisit(e store.Entry, visits []store.Visit) (store.Visit, string, string) {
	var lastReason, lastDetail string
	for _, v := range visits {
		reason, detail := g.checkTime(e, func(skew time.Duration) error { return visitWindow(v, e.At, skew) })
		if reason == "" {
			return v, "", ""
		}
		lastReason, lastDetail = reason, detail
	}
	return store.Visit{}, lastReason, lastDetail
}

func visitWindow(v store.Visit, now time.Time, skew time.Duration) error {
	switch {
	case now.Add(skew).Before(v.NotBefore):
		return fmt.Errorf("%w: the visit starts at %s", pass.ErrNotYetValid, v.NotBefore.Format(time.RFC3339))
	case now.Add(-skew).After(v.NotAfter):
		return fmt.Errorf("%w: the visit ended at %s", pass.ErrExpired, v.NotAfter.Format(time.RFC3339))
	}
	return nil
}
