package wire

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error a decoder returns wraps exactly one of them.
var (
	ErrTooLarge       = errors.New("wire: too large")       // the payload is over its topic's limit
	ErrMalformed      = errors.New("wire: malformed")       // not the JSON shape of the topic: syntax, types, unknown or duplicate keys
	ErrInvalid        = errors.New("wire: invalid")         // well-formed, but a field is missing, out of range or too many
	ErrUnknownCommand = errors.New("wire: unknown command") // a well-formed command this box does not know
	ErrTopic          = errors.New("wire: not a roomgate topic")
	ErrStale          = errors.New("wire: stale") // a command outside its time window
)

// detailError reads as "wire: <detail>" and matches its sentinel with
// errors.Is, so logs carry the detail and callers branch on the kind.
type detailError struct {
	kind error
	msg  string
}

func (e *detailError) Error() string { return "wire: " + e.msg }
func (e *detailError) Unwrap() error { return e.kind }

func errorf(kind error, format string, args ...any) error {
	return &detailError{kind: kind, msg: fmt.Sprintf(format, args...)}
}
