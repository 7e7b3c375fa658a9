package pass

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSignRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   Claims
		want Claims
	}{
		{"one-time", testClaims(), testClaims()},
		{"uses 0 means 1", func() Claims { c := testClaims(); c.Uses = 0; return c }(), testClaims()},
		{"iat, at the epoch too", func() Claims { c := testClaims(); c.IssuedAt = time.Unix(0, 0).UTC(); return c }(),
			func() Claims { c := testClaims(); c.IssuedAt = time.Unix(0, 0).UTC(); return c }()},
		{
			"sub-second times are truncated, no nbf",
			Claims{ID: "x", Issuer: "city", Audience: []string{"a", "b"}, Expires: time.Unix(2000000000, 999).In(time.FixedZone("ICT", 7*3600)), Uses: 5},
			Claims{ID: "x", Issuer: "city", Audience: []string{"a", "b"}, Expires: time.Unix(2000000000, 0).UTC(), Uses: 5},
		},
	}
	for _, tt := range tests {
		tok := mustSign(t, tt.in, "city-1", cityKey)
		got, kid, err := Verify(tok, testKeys)
		if err != nil || kid != "city-1" || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Verify(Sign(%+v)) = %+v, %q, %v, want %+v", tt.name, tt.in, got, kid, err, tt.want)
		}
	}
}

func TestSignWireForm(t *testing.T) {
	tok := mustSign(t, testClaims(), "city-1", cityKey)
	segs := strings.Split(tok, ".")
	h, _ := base64.RawURLEncoding.DecodeString(segs[0])
	if want := `{"alg":"EdDSA","kid":"city-1","typ":"JWT"}`; string(h) != want {
		t.Errorf("header = %s, want %s", h, want)
	}
	p, _ := base64.RawURLEncoding.DecodeString(segs[1])
	var m map[string]any
	if err := json.Unmarshal(p, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"jti": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "iss": "city", "sub": "V-1001", "name": "Nguyễn Văn An", "host": "Trần Thị Bình", "aud": "hq-gate-1", "nbf": 1767225600.0, "exp": 1767254400.0, "uses": 1.0}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("payload = %v, want %v", m, want)
	}
}

func TestSignRefuses(t *testing.T) {
	with := func(f func(*Claims)) Claims { c := testClaims(); f(&c); return c }
	tests := []struct {
		name string
		c    Claims
		kid  string
		key  []byte
		want error
	}{
		{"no jti", with(func(c *Claims) { c.ID = "" }), "k", cityKey, ErrClaims},
		{"long jti", with(func(c *Claims) { c.ID = strings.Repeat("j", MaxIDSize+1) }), "k", cityKey, ErrClaims},
		{"no exp", with(func(c *Claims) { c.Expires = time.Time{} }), "k", cityKey, ErrClaims},
		{"no aud", with(func(c *Claims) { c.Audience = nil }), "k", cityKey, ErrClaims},
		{"empty aud", with(func(c *Claims) { c.Audience = []string{""} }), "k", cityKey, ErrClaims},
		{"negative uses", with(func(c *Claims) { c.Uses = -1 }), "k", cityKey, ErrClaims},
		{"nbf after exp", with(func(c *Claims) { c.NotBefore = c.Expires.Add(time.Second) }), "k", cityKey, ErrClaims},
		{"exp past 9999", with(func(c *Claims) { c.Expires = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }), "k", cityKey, ErrClaims},
		{"too large", with(func(c *Claims) { c.Name = strings.Repeat("n", MaxSize) }), "k", cityKey, ErrTooLarge},
		{"header too large", testClaims(), strings.Repeat("k", MaxHeaderSize), cityKey, ErrTooLarge},
		{"no kid", testClaims(), "", cityKey, nil},
		{"short key", testClaims(), "k", cityKey[:32], nil},
	}
	for _, tt := range tests {
		tok, err := Sign(tt.c, tt.kid, tt.key)
		if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: Sign() = %.40q, %v, want error %v", tt.name, tok, err, tt.want)
		}
	}
}

// SignJWS and VerifyJWS carry any payload, unread, under the same checks
// as a pass, within the caller's size limit.
func TestJWSRoundTrip(t *testing.T) {
	payload := []byte(`{"version":3,"dev":"dev-a"}`)
	tok, err := SignJWS("roomgate-city", "city-1", payload, cityKey)
	if err != nil {
		t.Fatal(err)
	}
	got, kid, err := VerifyJWS(tok, len(tok), testKeys)
	if err != nil || kid != "city-1" || string(got) != string(payload) {
		t.Fatalf("VerifyJWS() = %q, %q, %v, want the payload signed by city-1", got, kid, err)
	}
	if _, _, err := VerifyJWS(tok, len(tok)-1, testKeys); !errors.Is(err, ErrTooLarge) {
		t.Errorf("VerifyJWS(over the limit) = %v, want ErrTooLarge", err)
	}
	forged, _ := SignJWS("roomgate-city", "city-1", payload, otherKey)
	if _, _, err := VerifyJWS(forged, len(forged), testKeys); !errors.Is(err, ErrSignature) {
		t.Errorf("VerifyJWS(another key) = %v, want ErrSignature", err)
	}
	if _, err := SignJWS("roomgate-city", "", payload, cityKey); err == nil {
		t.Error("SignJWS(empty kid) = nil error")
	}
	// A pass is a JWS like any other, and Verify still reads its claims.
	pass := mustSign(t, testClaims(), "city-1", cityKey)
	if _, _, err := VerifyJWS(pass, MaxSize, testKeys); err != nil {
		t.Errorf("VerifyJWS(a pass) = %v", err)
	}
}
