package pass

import (
	"crypto/ed25519"
	"reflect"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// passClaims are the claims go-jose does not know.
type passClaims struct {
	Name string `json:"name,omitempty"`
	Host string `json:"host,omitempty"`
	Uses int    `json:"uses,omitempty"`
}

// A pass issued by a stock JWT library verifies.
func TestInteropGoJoseToVerify(t *testing.T) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: cityKey},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "city-1"))
	if err != nil {
		t.Fatal(err)
	}
	want := testClaims()
	want.IssuedAt = want.NotBefore
	for _, aud := range [][]string{{"hq-gate-1"}, {"hq-gate-1", "hq"}} {
		want.Audience = aud
		std := jwt.Claims{
			ID: want.ID, Issuer: want.Issuer, Subject: want.Subject, Audience: jwt.Audience(aud),
			NotBefore: jwt.NewNumericDate(want.NotBefore), Expiry: jwt.NewNumericDate(want.Expires),
			IssuedAt: jwt.NewNumericDate(want.NotBefore),
		}
		tok, err := jwt.Signed(signer).Claims(std).Claims(passClaims{Name: want.Name, Host: want.Host, Uses: want.Uses}).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		got, kid, err := Verify(tok, testKeys)
		if err != nil || kid != "city-1" || !reflect.DeepEqual(got, want) {
			t.Errorf("Verify(go-jose pass, aud %q) = %+v, %q, %v, want %+v", aud, got, kid, err, want)
		}
	}
}

// A pass from Sign verifies with a stock JWT library.
func TestInteropSignToGoJose(t *testing.T) {
	for _, aud := range [][]string{{"hq-gate-1"}, {"hq-gate-1", "hq"}} {
		c := testClaims()
		c.Audience, c.Uses = aud, 3
		tok := mustSign(t, c, "city-1", cityKey)

		parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.EdDSA})
		if err != nil {
			t.Fatalf("jwt.ParseSigned(Sign()) = %v", err)
		}
		if kid := parsed.Headers[0].KeyID; kid != "city-1" {
			t.Errorf("go-jose kid = %q, want city-1", kid)
		}
		var std jwt.Claims
		var extra passClaims
		if err := parsed.Claims(cityKey.Public().(ed25519.PublicKey), &std, &extra); err != nil {
			t.Fatalf("go-jose Claims(Sign()) = %v", err)
		}
		err = std.ValidateWithLeeway(jwt.Expected{Issuer: "city", AnyAudience: jwt.Audience{"hq-gate-1"}, Time: c.NotBefore.Add(time.Hour)}, 0)
		if err != nil {
			t.Errorf("go-jose Validate(Sign()) = %v", err)
		}
		if std.ID != c.ID || std.Subject != c.Subject || !std.Expiry.Time().Equal(c.Expires) || !reflect.DeepEqual([]string(std.Audience), aud) ||
			extra != (passClaims{Name: c.Name, Host: c.Host, Uses: 3}) {
			t.Errorf("go-jose read %+v %+v, want %+v", std, extra, c)
		}
		if err := parsed.Claims(otherKey.Public().(ed25519.PublicKey), &std); err == nil {
			t.Error("go-jose accepted Sign() pass with another key")
		}
	}
}
