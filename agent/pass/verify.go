package pass

import (
	"crypto/ed25519"
	"encoding/base64"
)

// Limits checked before anything is decoded. A pass is read from a QR code,
// so real ones are a few hundred bytes.
const (
	MaxSize       = 2048 // whole token
	MaxHeaderSize = 512  // decoded JOSE header
)

// Algorithm is the only JWS alg accepted, compared exactly.
const Algorithm = "EdDSA"

// Key is a trusted issuer's public key.
type Key struct {
	Public ed25519.PublicKey
	Issuer string // expected iss claim; empty accepts any
}

// Keys finds the key for a JWS kid; the gate passes its issuer cache.
type Keys interface {
	Lookup(kid string) (Key, bool)
}

var b64 = base64.RawURLEncoding.Strict()

// Verify checks token and returns its claims and the kid that signed it.
// Errors wrap one of the package's sentinels. The caller applies its own
// policy afterwards: the time window (InWindow), the audience (For),
// revocation and use counts.
func Verify(token string, keys Keys) (Claims, string, error) {
	payload, kid, key, err := verifyJWS(token, MaxSize, keys)
	if err != nil {
		return Claims{}, kid, err
	}
	c, err := decodeClaims(payload)
	if err != nil {
		return Claims{}, kid, err
	}
	if key.Issuer != "" && c.Issuer != key.Issuer {
		return Claims{}, kid, errorf(ErrClaims, "claims: iss %q, key %q is for %q", c.Issuer, kid, key.Issuer)
	}
	return c, kid, nil
}

// VerifyJWS checks the signature of a compact JWS of at most limit bytes,
// the way Verify checks a pass's, and returns its payload unread and the kid
// that signed it. Other signed messages (the city's to its boxes) use it,
// so there is one JWS parser.
func VerifyJWS(token string, limit int, keys Keys) ([]byte, string, error) {
	payload, kid, _, err := verifyJWS(token, limit, keys)
	return payload, kid, err
}

func verifyJWS(token string, limit int, keys Keys) ([]byte, string, Key, error) {
	if len(token) > limit {
		return nil, "", Key{}, errorf(ErrTooLarge, "%d bytes, limit %d", len(token), limit)
	}
	dot1, dot2 := -1, -1
	for i := 0; i < len(token); i++ {
		switch c := token[i]; {
		case c == '.' && dot1 < 0:
			dot1 = i
		case c == '.' && dot2 < 0:
			dot2 = i
		case c == '.':
			return nil, "", Key{}, errorf(ErrMalformed, "more than three segments")
		case !isBase64URL(c):
			return nil, "", Key{}, errorf(ErrMalformed, "byte %q at %d is not base64url", c, i)
		}
	}
	if dot2 < 0 {
		return nil, "", Key{}, errorf(ErrMalformed, "not three dot-separated segments")
	}
	headerB64, payloadB64, sigB64 := token[:dot1], token[dot1+1:dot2], token[dot2+1:]
	if headerB64 == "" || payloadB64 == "" || sigB64 == "" {
		return nil, "", Key{}, errorf(ErrMalformed, "empty segment")
	}

	if n := b64.DecodedLen(len(headerB64)); n > MaxHeaderSize {
		return nil, "", Key{}, errorf(ErrTooLarge, "header is %d bytes, limit %d", n, MaxHeaderSize)
	}
	kid, err := readHeader(headerB64)
	if err != nil {
		return nil, "", Key{}, err
	}
	key, ok := keys.Lookup(kid)
	if !ok {
		return nil, kid, Key{}, errorf(ErrUnknownIssuer, "no key for kid %q", kid)
	}
	// ed25519.Verify panics on a key of the wrong size.
	if len(key.Public) != ed25519.PublicKeySize {
		return nil, kid, Key{}, errorf(ErrUnknownIssuer, "key for kid %q is %d bytes, want %d", kid, len(key.Public), ed25519.PublicKeySize)
	}

	sig, err := b64.DecodeString(sigB64)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, kid, Key{}, errorf(ErrSignature, "signature is not %d bytes of base64url", ed25519.SignatureSize)
	}
	if !ed25519.Verify(key.Public, []byte(token[:dot2]), sig) {
		return nil, kid, Key{}, errorf(ErrSignature, "signature does not match key %q", kid)
	}

	payload, err := b64.DecodeString(payloadB64)
	if err != nil {
		return nil, kid, Key{}, errorf(ErrMalformed, "payload: %v", err)
	}
	return payload, kid, key, nil
}

// readHeader checks the JOSE header and returns its kid.
func readHeader(enc string) (string, error) {
	raw, err := b64.DecodeString(enc)
	if err != nil {
		return "", errorf(ErrMalformed, "header: %v", err)
	}
	m, err := members(raw)
	if err != nil {
		return "", errorf(ErrMalformed, "header: %v", err)
	}
	alg, err := stringMember(m, "alg")
	switch {
	case err != nil:
		return "", errorf(ErrAlgorithm, "header: %v", err)
	case alg != Algorithm:
		return "", errorf(ErrAlgorithm, "header: alg %q not allowed", alg)
	}
	// crit names extensions the verifier must understand; we understand none.
	if _, ok := m["crit"]; ok {
		return "", errorf(ErrMalformed, "header: crit not supported")
	}
	if _, err := stringMember(m, "typ"); err != nil {
		return "", errorf(ErrMalformed, "header: %v", err)
	}
	kid, err := stringMember(m, "kid")
	switch {
	case err != nil:
		return "", errorf(ErrMalformed, "header: %v", err)
	case kid == "":
		return "", errorf(ErrUnknownIssuer, "header: no kid")
	}
	return kid, nil
}

func isBase64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}
