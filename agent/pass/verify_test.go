package pass

import (
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestVerifyRejects(t *testing.T) {
	valid := mustSign(t, testClaims(), "city-1", cityKey)
	segs := strings.Split(valid, ".")
	payload := func(p string) string { return signRaw(cityHeader, p, cityKey) }
	header := func(h string) string { return signRaw(h, `{"jti":"a","exp":2000000000,"aud":"g"}`, cityKey) }
	enc := base64.RawURLEncoding.EncodeToString

	// A byte of the payload changed after signing.
	p, _ := base64.RawURLEncoding.DecodeString(segs[1])
	tampered := segs[0] + "." + enc([]byte(strings.Replace(string(p), `"uses":1`, `"uses":9`, 1))) + "." + segs[2]

	// A pass that is one byte over the limit once signed.
	big := payload(`{"jti":"a","exp":2000000000,"aud":"g","name":"` + strings.Repeat("x", 1440) + `"}`)
	for len(big) <= MaxSize {
		big = payload(`{"jti":"a","exp":2000000000,"aud":"g","name":"` + strings.Repeat("x", 1440+(MaxSize+1-len(big))*3/4+1) + `"}`)
	}

	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"too large", big, ErrTooLarge},
		{"too large garbage", strings.Repeat("A", MaxSize+1), ErrTooLarge},
		{"empty", "", ErrMalformed},
		{"two segments", segs[0] + "." + segs[1], ErrMalformed},
		{"four segments", valid + "." + segs[2], ErrMalformed},
		{"empty payload", segs[0] + ".." + segs[2], ErrMalformed},
		{"empty signature", segs[0] + "." + segs[1] + ".", ErrMalformed},
		{"padding", segs[0] + "=." + segs[1] + "." + segs[2], ErrMalformed},
		{"plus", strings.Replace(valid, "-", "+", 1) + "+", ErrMalformed},
		{"slash", valid[:10] + "/" + valid[11:], ErrMalformed},
		{"trailing newline", valid + "\n", ErrMalformed},
		{"space", " " + valid, ErrMalformed},
		{"non-ASCII", "ạ" + valid, ErrMalformed},
		{"bad base64 length", "A." + segs[1] + "." + segs[2], ErrMalformed},
		{"non-canonical base64", enc([]byte(cityHeader))[:len(enc([]byte(cityHeader)))-1] + "z." + segs[1] + "." + segs[2], ErrMalformed},
		{"header too large", header(`{"alg":"EdDSA","kid":"city-1","x":"` + strings.Repeat("x", 500) + `"}`), ErrTooLarge},
		{"header not JSON", header(`alg=EdDSA`), ErrMalformed},
		{"header array", header(`["EdDSA"]`), ErrMalformed},
		{"header trailing data", header(`{"alg":"EdDSA","kid":"city-1"}{}`), ErrMalformed},
		{"header duplicate alg", header(`{"alg":"HS256","kid":"city-1","alg":"EdDSA"}`), ErrMalformed},
		{"alg none", header(`{"alg":"none","kid":"city-1"}`), ErrAlgorithm},
		{"alg HS256", header(`{"alg":"HS256","kid":"city-1"}`), ErrAlgorithm},
		{"alg ES256", header(`{"alg":"ES256","kid":"city-1"}`), ErrAlgorithm},
		{"alg lower case", header(`{"alg":"eddsa","kid":"city-1"}`), ErrAlgorithm},
		{"alg name upper case", header(`{"ALG":"EdDSA","kid":"city-1"}`), ErrAlgorithm},
		{"alg absent", header(`{"kid":"city-1"}`), ErrAlgorithm},
		{"alg null", header(`{"alg":null,"kid":"city-1"}`), ErrAlgorithm},
		{"alg number", header(`{"alg":1,"kid":"city-1"}`), ErrAlgorithm},
		{"crit", header(`{"alg":"EdDSA","kid":"city-1","crit":["b64"],"b64":false}`), ErrMalformed},
		{"typ number", header(`{"alg":"EdDSA","kid":"city-1","typ":1}`), ErrMalformed},
		{"kid absent", header(`{"alg":"EdDSA"}`), ErrUnknownIssuer},
		{"kid empty", header(`{"alg":"EdDSA","kid":""}`), ErrUnknownIssuer},
		{"kid unknown", header(`{"alg":"EdDSA","kid":"city-9"}`), ErrUnknownIssuer},
		{"kid number", header(`{"alg":"EdDSA","kid":7}`), ErrMalformed},
		{"key of wrong size", header(`{"alg":"EdDSA","kid":"short"}`), ErrUnknownIssuer},
		{"forged", mustSign(t, testClaims(), "city-1", otherKey), ErrSignature},
		{"tampered", tampered, ErrSignature},
		{"header swapped", enc([]byte(`{"alg":"EdDSA","kid":"any"}`)) + "." + segs[1] + "." + segs[2], ErrSignature},
		{"signature truncated", valid[:len(valid)-2], ErrSignature},
		{"signature extended", valid + "AA", ErrSignature},
		{"signature zero", segs[0] + "." + segs[1] + "." + enc(make([]byte, 64)), ErrSignature},
		{"signature bad base64", segs[0] + "." + segs[1] + "." + segs[2][:85] + "B", ErrSignature},
		{"payload not JSON", payload(`jti=a`), ErrMalformed},
		{"payload array", payload(`[{"jti":"a","exp":2000000000,"aud":"g"}]`), ErrMalformed},
		{"payload trailing data", payload(`{"jti":"a","exp":2000000000,"aud":"g"} x`), ErrMalformed},
		{"duplicate exp", payload(`{"jti":"a","exp":1,"aud":"g","exp":2000000000}`), ErrMalformed},
		{"jti number", payload(`{"jti":1,"exp":2000000000,"aud":"g"}`), ErrMalformed},
		{"jti null", payload(`{"jti":null,"exp":2000000000,"aud":"g"}`), ErrMalformed},
		{"sub object", payload(`{"jti":"a","sub":{},"exp":2000000000,"aud":"g"}`), ErrMalformed},
		{"exp string", payload(`{"jti":"a","exp":"2000000000","aud":"g"}`), ErrMalformed},
		{"exp bool", payload(`{"jti":"a","exp":true,"aud":"g"}`), ErrMalformed},
		{"nbf null", payload(`{"jti":"a","nbf":null,"exp":2000000000,"aud":"g"}`), ErrMalformed},
		{"aud number", payload(`{"jti":"a","exp":2000000000,"aud":1}`), ErrMalformed},
		{"aud array of numbers", payload(`{"jti":"a","exp":2000000000,"aud":[1]}`), ErrMalformed},
		{"aud array with null", payload(`{"jti":"a","exp":2000000000,"aud":["g",null]}`), ErrMalformed},
		{"aud object", payload(`{"jti":"a","exp":2000000000,"aud":{"g":1}}`), ErrMalformed},
		{"uses string", payload(`{"jti":"a","exp":2000000000,"aud":"g","uses":"1"}`), ErrMalformed},
		{"missing jti", payload(`{"exp":2000000000,"aud":"g"}`), ErrClaims},
		{"empty jti", payload(`{"jti":"","exp":2000000000,"aud":"g"}`), ErrClaims},
		{"jti too long", payload(`{"jti":"` + strings.Repeat("j", MaxIDSize+1) + `","exp":2000000000,"aud":"g"}`), ErrClaims},
		{"missing exp", payload(`{"jti":"a","aud":"g"}`), ErrClaims},
		{"missing aud", payload(`{"jti":"a","exp":2000000000}`), ErrClaims},
		{"empty aud", payload(`{"jti":"a","exp":2000000000,"aud":""}`), ErrClaims},
		{"empty aud array", payload(`{"jti":"a","exp":2000000000,"aud":[]}`), ErrClaims},
		{"empty aud entry", payload(`{"jti":"a","exp":2000000000,"aud":["g",""]}`), ErrClaims},
		{"iss mismatch", payload(`{"jti":"a","iss":"town","exp":2000000000,"aud":"g"}`), ErrClaims},
		{"iss missing", payload(`{"jti":"a","exp":2000000000,"aud":"g"}`), ErrClaims},
		{"uses zero", payload(`{"jti":"a","iss":"city","exp":2000000000,"aud":"g","uses":0}`), ErrClaims},
		{"uses negative", payload(`{"jti":"a","iss":"city","exp":2000000000,"aud":"g","uses":-1}`), ErrClaims},
		{"uses fraction", payload(`{"jti":"a","iss":"city","exp":2000000000,"aud":"g","uses":1.5}`), ErrClaims},
		{"uses exponent", payload(`{"jti":"a","iss":"city","exp":2000000000,"aud":"g","uses":1e3}`), ErrClaims},
		{"uses huge", payload(`{"jti":"a","iss":"city","exp":2000000000,"aud":"g","uses":99999999999999999999}`), ErrClaims},
		{"uses past int32", payload(`{"jti":"a","iss":"city","exp":2000000000,"aud":"g","uses":2147483648}`), ErrClaims},
		{"exp huge", payload(`{"jti":"a","iss":"city","exp":1e400,"aud":"g"}`), ErrClaims},
		{"exp past 9999", payload(`{"jti":"a","iss":"city","exp":253402300800,"aud":"g"}`), ErrClaims},
		{"exp int64 overflow", payload(`{"jti":"a","iss":"city","exp":9223372036854775808,"aud":"g"}`), ErrClaims},
		{"exp negative", payload(`{"jti":"a","iss":"city","exp":-1,"aud":"g"}`), ErrClaims},
		{"nbf negative", payload(`{"jti":"a","iss":"city","nbf":-5,"exp":2000000000,"aud":"g"}`), ErrClaims},
		{"nbf after exp", payload(`{"jti":"a","iss":"city","nbf":2000000001,"exp":2000000000,"aud":"g"}`), ErrClaims},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := Verify(tt.token, testKeys)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify(%.60q) = %+v, %v, want %v", tt.token, c, err, tt.want)
			}
			if !reflect.DeepEqual(c, Claims{}) {
				t.Errorf("Verify(%.60q) returned claims %+v with error %v, want none", tt.token, c, err)
			}
		})
	}
}

func TestVerifyAccepts(t *testing.T) {
	payload := func(p string) string { return signRaw(cityHeader, p, cityKey) }
	exp := time.Unix(2000000000, 0).UTC()
	tests := []struct {
		name  string
		token string
		keys  keyMap
		want  Claims
	}{
		{"Sign", mustSign(t, testClaims(), "city-1", cityKey), testKeys, testClaims()},
		{
			"aud string, uses absent",
			payload(`{"jti":"a","iss":"city","exp":2000000000,"aud":"g"}`), testKeys,
			Claims{ID: "a", Issuer: "city", Audience: []string{"g"}, Expires: exp, Uses: 1},
		},
		{
			"aud array, whitespace, unknown claims",
			payload("{ \"jti\" : \"a\",\n\t\"iss\":\"city\", \"iat\": 1, \"extra\": {\"x\":[1,2]}, \"exp\" : 2000000000 , \"aud\" : [ \"g\" , \"site\" ] , \"uses\" : 3 }"), testKeys,
			Claims{ID: "a", Issuer: "city", Audience: []string{"g", "site"}, Expires: exp, IssuedAt: time.Unix(1, 0).UTC(), Uses: 3},
		},
		{
			"fractional dates",
			payload(`{"jti":"a","iss":"city","nbf":1999999999.5,"exp":2000000000.25,"aud":"g"}`), testKeys,
			Claims{ID: "a", Issuer: "city", Audience: []string{"g"}, NotBefore: time.Unix(1999999999, 5e8).UTC(), Expires: time.Unix(2000000000, 25e7).UTC(), Uses: 1},
		},
		{
			"escaped names and values",
			payload(`{"\u006ati":"a\u00e9","iss":"city","exp":2000000000,"aud":"g","uses":2147483647}`), testKeys,
			Claims{ID: "aé", Issuer: "city", Audience: []string{"g"}, Expires: exp, Uses: MaxUses},
		},
		{
			"key accepts any issuer",
			signRaw(`{"alg":"EdDSA","kid":"any"}`, `{"jti":"a","iss":"elsewhere","exp":2000000000,"aud":"g"}`, cityKey), testKeys,
			Claims{ID: "a", Issuer: "elsewhere", Audience: []string{"g"}, Expires: exp, Uses: 1},
		},
		{
			"no typ",
			signRaw(`{"kid":"city-1","alg":"EdDSA"}`, `{"jti":"a","iss":"city","exp":2000000000,"aud":"g"}`, cityKey), testKeys,
			Claims{ID: "a", Issuer: "city", Audience: []string{"g"}, Expires: exp, Uses: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, kid, err := Verify(tt.token, tt.keys)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Verify(%.60q) = %+v, %q, %v, want %+v", tt.token, got, kid, err, tt.want)
			}
		})
	}
}

func TestVerifyAtMaxSize(t *testing.T) {
	for n := 1300; n < 1600; n++ {
		tok := signRaw(cityHeader, `{"jti":"a","iss":"city","exp":2000000000,"aud":"g","name":"`+strings.Repeat("x", n)+`"}`, cityKey)
		if len(tok) != MaxSize {
			continue
		}
		if _, _, err := Verify(tok, testKeys); err != nil {
			t.Fatalf("Verify(%d bytes) = %v, want nil", len(tok), err)
		}
		return
	}
	t.Fatal("found no name length giving a pass of exactly MaxSize")
}

func TestVerifyReturnsKid(t *testing.T) {
	_, kid, err := Verify(mustSign(t, testClaims(), "city-1", cityKey), testKeys)
	if err != nil || kid != "city-1" {
		t.Fatalf("Verify() kid = %q, %v, want city-1", kid, err)
	}
	_, kid, err = Verify(mustSign(t, testClaims(), "city-1", otherKey), testKeys)
	if kid != "city-1" || !errors.Is(err, ErrSignature) {
		t.Fatalf("Verify(forged) kid = %q, %v, want city-1, %v", kid, err, ErrSignature)
	}
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		token string
		want  string
	}{
		{signRaw(`{"alg":"HS256","kid":"city-1"}`, `{}`, cityKey), `pass: header: alg "HS256" not allowed`},
		{signRaw(`{"alg":"EdDSA","kid":"city-9"}`, `{}`, cityKey), `pass: no key for kid "city-9"`},
		{signRaw(cityHeader, `{"jti":"a","iss":"town","exp":2000000000,"aud":"g"}`, cityKey), `pass: claims: iss "town", key "city-1" is for "city"`},
		{signRaw(cityHeader, `{"jti":"a","iss":"city","aud":"g"}`, cityKey), `pass: claims: exp missing`},
		{"a.b", `pass: not three dot-separated segments`},
	}
	for _, tt := range tests {
		if _, _, err := Verify(tt.token, testKeys); err == nil || err.Error() != tt.want {
			t.Errorf("Verify(%.40q) = %v, want %s", tt.token, err, tt.want)
		}
	}
}

func TestReason(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{ErrTooLarge, "too_large"},
		{ErrMalformed, "malformed"},
		{ErrAlgorithm, "bad_algorithm"},
		{ErrUnknownIssuer, "unknown_issuer"},
		{ErrSignature, "bad_signature"},
		{ErrClaims, "bad_claims"},
		{ErrExpired, "expired"},
		{ErrNotYetValid, "not_yet_valid"},
		{errorf(ErrSignature, "x"), "bad_signature"},
		{fmt.Errorf("gate: %w", errorf(ErrExpired, "x")), "expired"},
		{errors.New("disk full"), ReasonOther},
	}
	for _, tt := range tests {
		if got := Reason(tt.err); got != tt.want {
			t.Errorf("Reason(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
