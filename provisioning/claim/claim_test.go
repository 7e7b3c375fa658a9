package claim

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func sample(t *testing.T) Claim {
	t.Helper()
	tok, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	return Claim{URL: "https://enrol.city.example:8443", CA: Fingerprint([]byte("ca der")), Device: "room-201",
		Kind: KindRoom, Site: "hq", Token: tok, Expires: time.Date(2026, 12, 12, 0, 0, 0, 0, time.UTC).Unix()}
}

func TestRoundTrip(t *testing.T) {
	c := sample(t)
	text, err := c.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, Prefix) || strings.Contains(text, "=") {
		t.Errorf("Encode = %q, want RGCLAIM1: and unpadded base64url", text)
	}
	got, err := Parse(" " + text + "\r\n") // as a scanner hands it over
	if err != nil || got != c {
		t.Fatalf("Parse(Encode) = %+v, %v; want %+v", got, err, c)
	}
	if !c.Expired(time.Unix(c.Expires, 0)) || c.Expired(time.Unix(c.Expires-1, 0)) {
		t.Error("Expired is wrong at the boundary")
	}
}

func TestToken(t *testing.T) {
	a, _ := NewToken()
	b, _ := NewToken()
	raw, err := base64.RawURLEncoding.DecodeString(a)
	if err != nil || len(raw) != TokenBytes || a == b {
		t.Fatalf("NewToken = %q, %q: want two different %d-byte tokens", a, b, TokenBytes)
	}
	h := HashToken(a)
	if strings.Contains(h, a) || !TokenMatches(a, h) || TokenMatches(b, h) {
		t.Error("HashToken/TokenMatches do not tell the tokens apart")
	}
}

func TestParseRefuses(t *testing.T) {
	enc := func(mod func(*Claim)) string {
		c := sample(t)
		mod(&c)
		// Encoded by hand: Encode itself refuses these.
		b := `{"url":"` + c.URL + `","ca":"` + c.CA + `","dev":"` + c.Device + `","kind":"` + c.Kind + `","site":"` + c.Site + `","tok":"` + c.Token + `","exp":1893456000}`
		return Prefix + base64.RawURLEncoding.EncodeToString([]byte(b))
	}
	for name, text := range map[string]string{
		"empty":         "",
		"a pass":        "eyJhbGciOiJFZERTQSJ9.e30.sig",
		"not base64":    Prefix + "!!!",
		"not JSON":      Prefix + base64.RawURLEncoding.EncodeToString([]byte("hello")),
		"extra field":   Prefix + base64.RawURLEncoding.EncodeToString([]byte(`{"x":1}`)),
		"too long":      Prefix + strings.Repeat("A", MaxSize),
		"http url":      enc(func(c *Claim) { c.URL = "http://enrol.city.example" }),
		"url with path": enc(func(c *Claim) { c.URL = "https://enrol.city.example/x" }),
		"bad ca":        enc(func(c *Claim) { c.CA = "md5:00" }),
		"bad device":    enc(func(c *Claim) { c.Device = "Room 201" }),
		"bad kind":      enc(func(c *Claim) { c.Kind = "kiosk" }),
		"bad site":      enc(func(c *Claim) { c.Site = "../etc" }),
		"short token":   enc(func(c *Claim) { c.Token = "c2hvcnQ" }),
	} {
		if _, err := Parse(text); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Parse = %v, want ErrInvalid", name, err)
		}
	}
}
