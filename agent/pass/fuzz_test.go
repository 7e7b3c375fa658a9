package pass

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzVerify feeds each input to Verify twice: as a whole token, and as a
// payload signed with a trusted key, which takes it past the signature check
// into the claims decoder. Seeds live in testdata/fuzz/FuzzVerify.
func FuzzVerify(f *testing.F) {
	f.Fuzz(func(t *testing.T, in string) {
		if c, kid, err := Verify(in, testKeys); err == nil {
			checkVerified(t, in, c, kid)
		}

		checkMembers(t, in)

		tok := signRaw(cityHeader, in, cityKey)
		c, kid, err := Verify(tok, testKeys)
		if err != nil {
			if r := Reason(err); r != "malformed" && r != "bad_claims" && r != "too_large" {
				t.Fatalf("Verify(signed %q) = %v, reason %q, want malformed, bad_claims or too_large", in, err, r)
			}
			return
		}
		checkVerified(t, tok, c, kid)
		checkLifetime(t, c)
		resigned, err := Sign(c, kid, cityKey)
		if err != nil {
			return // truncating fractional seconds can empty the window
		}
		want := c
		want.NotBefore, want.Expires, want.IssuedAt = truncSecond(c.NotBefore), truncSecond(c.Expires), truncSecond(c.IssuedAt)
		if got, _, err := Verify(resigned, testKeys); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("Verify(Sign(%+v)) = %+v, %v, want the same claims", c, got, err)
		}
	})
}

// checkVerified checks, independently of Verify, that an accepted token
// carries a valid signature by kid's key and claims meeting the invariants.
func checkVerified(t *testing.T, tok string, c Claims, kid string) {
	t.Helper()
	key, ok := testKeys[kid]
	segs := strings.Split(tok, ".")
	if !ok || len(segs) != 3 || len(tok) > MaxSize {
		t.Fatalf("Verify(%q) accepted kid %q, %d segments, %d bytes", tok, kid, len(segs), len(tok))
	}
	sig, err := base64.RawURLEncoding.DecodeString(segs[2])
	if err != nil || !ed25519.Verify(key.Public, []byte(segs[0]+"."+segs[1]), sig) {
		t.Fatalf("Verify(%q) accepted a token whose signature does not verify (%v)", tok, err)
	}
	if c.ID == "" || len(c.ID) > MaxIDSize || c.Uses < 1 || len(c.Audience) == 0 || c.Expires.IsZero() ||
		(key.Issuer != "" && c.Issuer != key.Issuer) || c.Expires.After(time.Unix(maxNumericDate+1, 0)) {
		t.Fatalf("Verify(%q) = %+v, breaking an invariant", tok, c)
	}
}

// checkLifetime holds CheckLifetime to its rule, worked out here in whole
// seconds: the pass is refused when exp lies more than the limit after nbf,
// else iat, else now.
func checkLifetime(t *testing.T, c Claims) {
	t.Helper()
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	from := now.Unix()
	if !c.IssuedAt.IsZero() {
		from = c.IssuedAt.Unix()
	}
	if !c.NotBefore.IsZero() {
		from = c.NotBefore.Unix()
	}
	limit := int64(DefaultMaxLifetime / time.Second)
	// Fractions of a second can only matter right at the limit.
	if d := c.Expires.Unix() - from; d == limit || d == limit+1 {
		return
	}
	tooLong := c.Expires.Unix()-from > limit
	if err := c.CheckLifetime(now, DefaultMaxLifetime); (err != nil) != tooLong || (err != nil && Reason(err) != "lifetime_too_long") {
		t.Fatalf("CheckLifetime(%+v) = %v, want too long %v", c, err, tooLong)
	}
}

// checkMembers compares members with encoding/json's reading of the same
// object: they must agree on every member, and members may refuse only
// duplicates among what encoding/json accepts.
func checkMembers(t *testing.T, in string) {
	t.Helper()
	var ref map[string]json.RawMessage
	refErr := json.Unmarshal([]byte(in), &ref)
	if refErr == nil && ref == nil {
		refErr = errors.New("null is not an object")
	}
	m, err := members([]byte(in))
	switch {
	case err == nil && refErr != nil:
		t.Fatalf("members(%q) = %v, but encoding/json fails: %v", in, m, refErr)
	case err != nil && refErr == nil && !strings.Contains(err.Error(), "duplicate member"):
		t.Fatalf("members(%q) = %v, but encoding/json reads %v", in, err, ref)
	case err == nil && len(m) != len(ref):
		t.Fatalf("members(%q) = %d members, encoding/json %d", in, len(m), len(ref))
	}
	for k, v := range m {
		if !bytes.Equal(v, ref[k]) {
			t.Fatalf("members(%q)[%q] = %s, encoding/json %s", in, k, v, ref[k])
		}
	}
}
