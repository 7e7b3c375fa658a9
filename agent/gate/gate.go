package gate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/roomgate/roomgate/agent/clock"
	"github.com/roomgate/roomgate/agent/event"
	"github.com/roomgate/roomgate/agent/pass"
	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/devices/scanner"
)

// Denial reasons the gate adds to those of package pass.
const (
	ReasonGarbage         = "garbage"
	ReasonRevoked         = "revoked"
	ReasonUsedUp          = "used_up"
	ReasonWrongGate       = "wrong_gate"
	ReasonPassback        = "passback"
	ReasonClockUnsynced   = "clock_unsynced"
	ReasonCCCDNotAllowed  = "cccd_not_allowed"
	ReasonNoVisit         = "no_visit"
	ReasonDoorUnavailable = "door_unavailable"
)

// Reasons lists every reason code a denial can carry: the gate's, the
// face check's and package pass's. A fixed set, so counting by it stays small.
func Reasons() []string {
	return append([]string{ReasonGarbage, ReasonRevoked, ReasonUsedUp, ReasonWrongGate, ReasonPassback,
		ReasonClockUnsynced, ReasonCCCDNotAllowed, ReasonNoVisit, ReasonDoorUnavailable,
		ReasonFaceMismatch, ReasonNoFace, ReasonFaceUnavailable}, pass.Reasons()...)
}

// Methods say what was scanned.
const (
	MethodPass    = "pass"
	MethodCCCD    = "cccd"
	MethodUnknown = "unknown"
)

// Door is what the gate needs from the door: whether it can open, and the two outcomes.
type Door interface {
	Ready() error
	Grant() error
	Deny() error
}

// Policy is the gate's part of the box config.
type Policy struct {
	Site, Gate, Device string
	ClockSkew          time.Duration
	AntiPassback       time.Duration
	AllowUnsyncedClock bool // allow (and flag the record) rather than deny when the clock is untrusted
	AllowCCCD          bool
	MaxPassLifetime    time.Duration // longest validity a pass may have; pass.DefaultMaxLifetime when zero
	FaceThreshold      float32       // the score a card holder's face must reach against the visit's template
	FaceWithin         time.Duration // how long the camera looks for it; DefaultFaceWithin when zero
}

// Gate turns scans into decisions and records.
type Gate struct {
	store  *store.Store
	door   Door
	clock  clock.Source
	policy Policy
	source string
	now    func() time.Time
	faces  FaceCheck // a chip ID card's second factor; nil: none
	seen   Observer  // hears of every decision; nil: nobody

	mu   sync.RWMutex
	keys keySet
}

// Observer hears of every decision the gate kept, once the door was told.
// It gets codes only, never who scanned: what it counts leaves the box.
type Observer interface {
	// Decided is called with the entry's verdict, its reason code ("" for
	// a grant), its method and the time from the scan to the door.
	Decided(granted bool, reason, method string, scanToDoor time.Duration)
}

// Observe gives the gate its observer; call it before the first scan.
func (g *Gate) Observe(o Observer) { g.seen = o }

// New returns a gate; call ReloadTrust before the first scan.
func New(st *store.Store, door Door, clk clock.Source, p Policy) *Gate {
	if p.MaxPassLifetime <= 0 {
		p.MaxPassLifetime = pass.DefaultMaxLifetime
	}
	return &Gate{store: st, door: door, clock: clk, policy: p, source: event.Source(p.Site, p.Device), now: time.Now}
}

type keySet map[string]pass.Key

func (k keySet) Lookup(kid string) (pass.Key, bool) {
	key, ok := k[kid]
	return key, ok
}

// ReloadTrust reads issuer keys from the store; the next scan uses them.
func (g *Gate) ReloadTrust(ctx context.Context) error {
	issuers, err := g.store.Issuers(ctx)
	if err != nil {
		return fmt.Errorf("gate: reload trust: %w", err)
	}
	keys := keySet{}
	for _, is := range issuers {
		keys[is.Kid] = pass.Key{Public: is.PublicKey, Issuer: is.Iss}
	}
	g.mu.Lock()
	g.keys = keys
	g.mu.Unlock()
	return nil
}

func (g *Gate) trust() keySet {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.keys
}

// entryData is the data of a vn.roomgate.entry.v1 event.
type entryData struct {
	Site         string `json:"site"`
	Gate         string `json:"gate"`
	Scanner      string `json:"scanner"`
	Method       string `json:"method"`
	Decision     string `json:"decision"`
	Reason       string `json:"reason,omitempty"`
	Detail       string `json:"detail,omitempty"`
	PassID       string `json:"pass_id,omitempty"`
	Kid          string `json:"kid,omitempty"`
	Subject      string `json:"subject,omitempty"`
	Name         string `json:"name,omitempty"`
	Host         string `json:"host,omitempty"`
	ClockTrusted bool   `json:"clock_trusted"`
	ScanSHA256   string `json:"scan_sha256"`
}

// Handle decides on one scanned line, keeps the entry and drives the door.
// The returned error is only for a record that could not be kept; the door
// then stays shut.
func (g *Gate) Handle(ctx context.Context, scannerName string, line scanner.Line) (store.Entry, error) {
	at := g.now()
	sum := sha256.Sum256([]byte(line.Text))
	e := store.Entry{At: at, Gate: g.policy.Gate, Scanner: scannerName, Method: MethodUnknown, ClockTrusted: g.clock.Synced(), ScanSHA256: hex.EncodeToString(sum[:])}

	var entry store.Entry
	var err error
	switch {
	case line.Reject != "":
		entry, err = g.deny(ctx, e, ReasonGarbage, line.Reject)
	case looksLikeJWS(line.Text):
		e.Method = MethodPass
		entry, err = g.handlePass(ctx, e, line.Text)
	case looksLikeCCCD(line.Text):
		e.Method = MethodCCCD
		entry, err = g.handleCCCD(ctx, e, line.Text)
	default:
		entry, err = g.deny(ctx, e, ReasonGarbage, fmt.Sprintf("neither a pass nor an ID card (%d bytes)", len(line.Text)))
	}
	if err != nil {
		return store.Entry{}, err
	}
	if entry.Granted {
		err = g.door.Grant()
	} else {
		err = g.door.Deny()
	}
	if g.seen != nil {
		scanned := line.At
		if scanned.IsZero() {
			scanned = at
		}
		g.seen.Decided(entry.Granted, entry.Reason, entry.Method, time.Since(scanned))
	}
	return entry, err
}

func (g *Gate) handlePass(ctx context.Context, e store.Entry, token string) (store.Entry, error) {
	claims, kid, err := pass.Verify(token, g.trust())
	if err != nil {
		return g.deny(ctx, e, pass.Reason(err), err.Error())
	}
	e.PassID, e.Kid, e.Subject, e.Name, e.Host = claims.ID, kid, claims.Subject, claims.Name, claims.Host
	if reason, detail := g.checkTime(e, func(skew time.Duration) error { return claims.InWindow(e.At, skew) }); reason != "" {
		return g.deny(ctx, e, reason, detail)
	}
	lifetimeNow := e.At
	if !e.ClockTrusted {
		lifetimeNow = time.Time{}
	}
	if err := claims.CheckLifetime(lifetimeNow, g.policy.MaxPassLifetime); err != nil {
		return g.deny(ctx, e, pass.Reason(err), err.Error())
	}
	if !claims.For(g.policy.Site, g.policy.Gate) {
		return g.deny(ctx, e, ReasonWrongGate, fmt.Sprintf("pass is for %s, this gate is %s/%s (a bare id names a site)",
			strings.Join(claims.Audience, ","), g.policy.Site, g.policy.Gate))
	}
	return g.decideUses(ctx, e, store.PassUseKey(claims.ID), claims.ID, claims.Uses)
}

// checkTime applies the window check unless the clock is untrusted, where
// policy either denies or skips the window and flags the record.
func (g *Gate) checkTime(e store.Entry, inWindow func(skew time.Duration) error) (reason, detail string) {
	if !e.ClockTrusted {
		if g.policy.AllowUnsyncedClock {
			return "", ""
		}
		return ReasonClockUnsynced, "the box clock has not been synchronised since boot"
	}
	if err := inWindow(g.policy.ClockSkew); err != nil {
		return pass.Reason(err), err.Error()
	}
	return "", ""
}

// decideUses checks revocation, use count and anti-passback in the same
// transaction that keeps the entry.
func (g *Gate) decideUses(ctx context.Context, e store.Entry, useKey, passID string, allowed int) (store.Entry, error) {
	decide := func(u store.Use, revoked bool) store.Decision {
		switch {
		case revoked:
			return store.Decision{Reason: ReasonRevoked, Detail: "pass " + passID + " was revoked"}
		case u.Count >= allowed:
			return store.Decision{Reason: ReasonUsedUp, Detail: fmt.Sprintf("used %d of %d times", u.Count, allowed)}
		case u.Count > 0 && g.policy.AntiPassback > 0 && e.At.Sub(u.Last) < g.policy.AntiPassback:
			return store.Decision{Reason: ReasonPassback, Detail: fmt.Sprintf("used at %s %s ago", u.LastGate, e.At.Sub(u.Last).Round(time.Second))}
		}
		return store.Decision{Granted: true}
	}
	return g.store.Decide(ctx, useKey, passID, decide, func(d store.Decision) (store.Entry, store.Event, error) {
		if d.Granted {
			if err := g.door.Ready(); err != nil {
				d = store.Decision{Reason: ReasonDoorUnavailable, Detail: err.Error()}
			}
		}
		e.Granted, e.Reason, e.Detail = d.Granted, d.Reason, d.Detail
		return g.withEvent(e)
	})
}

func (g *Gate) deny(ctx context.Context, e store.Entry, reason, detail string) (store.Entry, error) {
	e.Granted, e.Reason, e.Detail = false, reason, detail
	e, ev, err := g.withEvent(e)
	if err != nil {
		return store.Entry{}, err
	}
	if err := g.store.AddEntry(ctx, e, ev); err != nil {
		return store.Entry{}, err
	}
	return e, nil
}

// withEvent gives the entry its CloudEvent, whose id the entry shares.
func (g *Gate) withEvent(e store.Entry) (store.Entry, store.Event, error) {
	decision := "denied"
	if e.Granted {
		decision = "granted"
	}
	env, payload, err := event.New(g.source, event.TypeEntry, e.At, entryData{
		Site: g.policy.Site, Gate: e.Gate, Scanner: e.Scanner, Method: e.Method, Decision: decision, Reason: e.Reason, Detail: e.Detail,
		PassID: e.PassID, Kid: e.Kid, Subject: e.Subject, Name: e.Name, Host: e.Host, ClockTrusted: e.ClockTrusted, ScanSHA256: e.ScanSHA256,
	})
	if err != nil {
		return store.Entry{}, store.Event{}, err
	}
	e.ID = env.ID
	return e, store.Event{ID: env.ID, Type: env.Type, Time: env.Time, Payload: payload}, nil
}

// looksLikeJWS is a cheap routing test; Verify does the real checks.
func looksLikeJWS(s string) bool {
	return strings.Count(s, ".") >= 1 && !strings.ContainsAny(s, "| ")
}
