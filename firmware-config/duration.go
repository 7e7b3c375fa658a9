package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// String formats the duration as time.Duration does, without trailing zero
// units: "300ms", "2m", "1h30m".
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// MarshalText writes the duration as text, so YAML and JSON show "3s" rather than nanoseconds.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalYAML reads "300ms", "5s" or "2m". A bare number is refused:
// without a unit nobody can tell whether 300 meant milliseconds or seconds.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, reason := durationOf(n)
	if reason != "" {
		return errors.New("config: " + reason)
	}
	*d = v
	return nil
}

// durationOf decodes a scalar node, or says why it cannot.
func durationOf(n *yaml.Node) (Duration, string) {
	if n.Kind != yaml.ScalarNode {
		return 0, "want a duration like 300ms, got " + describe(n)
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		return 0, fmt.Sprintf("want a duration like 300ms, got the number %s without a unit (ms, s, m or h)", n.Value)
	case "!!str":
	default:
		return 0, "want a duration like 300ms, got " + describe(n)
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return 0, "want a duration like 300ms, 5s or 2m, got " + quote(n.Value)
	}
	return Duration(v), ""
}

// describe names what a node holds, for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return "the text " + quote(n.Value)
		case "!!bool":
			return n.Value
		case "!!int", "!!float":
			return "the number " + n.Value
		case "!!null":
			return "nothing"
		}
		return n.ShortTag() + " " + quote(n.Value)
	}
	return "an alias"
}

func itoa(i int) string { return strconv.Itoa(i) }
