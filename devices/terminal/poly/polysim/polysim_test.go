package polysim

import (
	"slices"
	"testing"
)

func TestSplitQuoted(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		ok   bool
	}{
		{`768 "r7@city" sip`, []string{"768", "r7@city", "sip"}, true},
		{`768 "512 555 1212"`, []string{"768", "512 555 1212"}, true},
		{`  64   5551212 h320 `, []string{"64", "5551212", "h320"}, true},
		{`768 "r7" h323" sip`, nil, false},
		{`768 "r7`, nil, false},
		{`768 "r7"x`, nil, false},
		{`768 r"7`, nil, false},
		{``, nil, true},
	} {
		got, ok := splitQuoted(tc.in)
		if ok != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("splitQuoted(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
