package pass

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// members decodes a JSON object into its members. Unlike decoding into a
// struct it matches names exactly (encoding/json folds case, so "ALG" would
// pass for "alg") and refuses duplicate names, which different JWT libraries
// resolve differently. The input is validated by encoding/json first, so the
// scan below only has to find the boundaries of well-formed JSON; it is
// several times cheaper than json.Decoder's tokens on the gate's hot path.
func members(b []byte) (map[string]json.RawMessage, error) {
	if !json.Valid(b) {
		return nil, errors.New("not valid JSON")
	}
	i := skipSpace(b, 0)
	if b[i] != '{' {
		return nil, errors.New("not a JSON object")
	}
	m := make(map[string]json.RawMessage, 12)
	for i = skipSpace(b, i+1); b[i] != '}'; i = skipSpace(b, i+1) {
		end := skipValue(b, i) // the name, a string
		name, err := unquote(b[i:end])
		if err != nil {
			return nil, err
		}
		i = skipSpace(b, skipSpace(b, end)+1) // past ':'
		end = skipValue(b, i)
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("duplicate member %q", name)
		}
		m[name] = b[i:end:end]
		if i = skipSpace(b, end); b[i] == '}' {
			break
		}
		// b[i] is ',' here.
	}
	return m, nil
}

// skipSpace returns the index of the first non-space byte at or after i.
// Valid JSON never ends inside an object, so the index stays in range.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just past the valid JSON value starting at i.
func skipValue(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
			if depth < 0 { // a scalar ended by its container
				return i
			}
		case ',', ' ', '\t', '\n', '\r', ':':
			if depth == 0 {
				return i
			}
		}
	}
	return i
}

// unquote returns the value of a valid JSON string literal, without
// encoding/json's cost when there is nothing to unescape.
func unquote(raw []byte) (string, error) {
	if inner := raw[1 : len(raw)-1]; bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), nil
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

// Typed readers of members. A value of the wrong JSON kind (including null)
// is malformed; a well-formed value outside what a pass allows is bad claims.

// stringMember returns the string member name, "" if absent.
func stringMember(m map[string]json.RawMessage, name string) (string, error) {
	raw, ok := m[name]
	if !ok {
		return "", nil
	}
	if !isString(raw) {
		return "", fmt.Errorf("%s is not a string", name)
	}
	return unquote(raw)
}

func isString(raw json.RawMessage) bool { return len(raw) > 0 && raw[0] == '"' }

// numberMember returns the number member name as written, "" if absent.
func numberMember(m map[string]json.RawMessage, name string) (json.Number, error) {
	raw, ok := m[name]
	if !ok {
		return "", nil
	}
	// members validated the JSON, so a value starting like a number is one.
	if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return "", errorf(ErrMalformed, "claims: %s is not a number", name)
	}
	return json.Number(raw), nil
}

// dateMember reads a NumericDate: seconds since the epoch, possibly
// fractional (RFC 7519 section 2). Absent is the zero time.
func dateMember(m map[string]json.RawMessage, name string) (time.Time, error) {
	n, err := numberMember(m, name)
	if n == "" || err != nil {
		return time.Time{}, err
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f < 0 || f > maxNumericDate {
		return time.Time{}, errorf(ErrClaims, "claims: %s %.20s out of range", name, n)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}

// usesMember reads uses; absent means a one-time pass.
func usesMember(m map[string]json.RawMessage) (int, error) {
	n, err := numberMember(m, "uses")
	if err != nil {
		return 0, err
	}
	if n == "" {
		return 1, nil
	}
	u, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || u < 1 || u > MaxUses {
		return 0, errorf(ErrClaims, "claims: uses %.20s is not an integer in 1..%d", n, MaxUses)
	}
	return int(u), nil
}

// audienceMember reads aud, a string or an array of strings.
func audienceMember(m map[string]json.RawMessage) ([]string, error) {
	raw, ok := m["aud"]
	if !ok {
		return nil, nil
	}
	bad := errorf(ErrMalformed, "claims: aud is not a string or an array of strings")
	if isString(raw) {
		s, err := unquote(raw)
		if err != nil {
			return nil, bad
		}
		return []string{s}, nil
	}
	if raw[0] != '[' {
		return nil, bad
	}
	var aud []string
	for i := skipSpace(raw, 1); raw[i] != ']'; i = skipSpace(raw, i+1) {
		end := skipValue(raw, i)
		if !isString(raw[i:end]) {
			return nil, bad
		}
		s, err := unquote(raw[i:end])
		if err != nil {
			return nil, bad
		}
		aud = append(aud, s)
		if i = skipSpace(raw, end); raw[i] == ']' {
			break
		}
	}
	return aud, nil
}

// decodeClaims reads the claims of a payload whose signature has been checked.
func decodeClaims(payload []byte) (Claims, error) {
	m, err := members(payload)
	if err != nil {
		return Claims{}, errorf(ErrMalformed, "claims: %v", err)
	}
	var c Claims
	for _, f := range []struct {
		name string
		dst  *string
	}{{"jti", &c.ID}, {"iss", &c.Issuer}, {"sub", &c.Subject}, {"name", &c.Name}, {"host", &c.Host}} {
		if *f.dst, err = stringMember(m, f.name); err != nil {
			return Claims{}, errorf(ErrMalformed, "claims: %v", err)
		}
	}
	if c.Audience, err = audienceMember(m); err != nil {
		return Claims{}, err
	}
	if c.NotBefore, err = dateMember(m, "nbf"); err != nil {
		return Claims{}, err
	}
	if c.Expires, err = dateMember(m, "exp"); err != nil {
		return Claims{}, err
	}
	if c.IssuedAt, err = dateMember(m, "iat"); err != nil {
		return Claims{}, err
	}
	if c.Uses, err = usesMember(m); err != nil {
		return Claims{}, err
	}
	if err := c.check(); err != nil {
		return Claims{}, errorf(ErrClaims, "claims: %v", err)
	}
	return c, nil
}
