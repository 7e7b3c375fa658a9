package pass

import (
	"errors"
	"fmt"
)

// Sentinel errors the gate branches on. Errors returned by this package wrap
// exactly one of them; Reason maps it to the short string kept with a denial.
var (
	ErrTooLarge      = errors.New("pass: too large")
	ErrMalformed     = errors.New("pass: malformed")
	ErrAlgorithm     = errors.New("pass: algorithm not allowed")
	ErrUnknownIssuer = errors.New("pass: unknown issuer")
	ErrSignature     = errors.New("pass: bad signature")
	ErrClaims        = errors.New("pass: bad claims")
	ErrExpired       = errors.New("pass: expired")
	ErrNotYetValid   = errors.New("pass: not yet valid")
	ErrLifetime      = errors.New("pass: lifetime too long")
)

// ReasonOther is the reason of an error that wraps none of the sentinels.
const ReasonOther = "error"

var reasons = []struct {
	err    error
	reason string
}{
	{ErrTooLarge, "too_large"},
	{ErrMalformed, "malformed"},
	{ErrAlgorithm, "bad_algorithm"},
	{ErrUnknownIssuer, "unknown_issuer"},
	{ErrSignature, "bad_signature"},
	{ErrClaims, "bad_claims"},
	{ErrExpired, "expired"},
	{ErrNotYetValid, "not_yet_valid"},
	{ErrLifetime, "lifetime_too_long"},
}

// Reason returns the stable short reason for err ("bad_signature",
// "expired", ...), "" for nil and ReasonOther for an error of another kind.
func Reason(err error) string {
	if err == nil {
		return ""
	}
	for _, r := range reasons {
		if errors.Is(err, r.err) {
			return r.reason
		}
	}
	return ReasonOther
}

// Reasons lists every reason Reason can return for an error, ReasonOther last.
func Reasons() []string {
	out := make([]string, 0, len(reasons)+1)
	for _, r := range reasons {
		out = append(out, r.reason)
	}
	return append(out, ReasonOther)
}

// detailError reads as "pass: <detail>" while matching its sentinel with
// errors.Is, so logs carry the detail and callers branch on the kind.
type detailError struct {
	kind error
	msg  string
}

func (e *detailError) Error() string { return "pass: " + e.msg }
func (e *detailError) Unwrap() error { return e.kind }

func errorf(kind error, format string, args ...any) error {
	return &detailError{kind: kind, msg: fmt.Sprintf(format, args...)}
}
