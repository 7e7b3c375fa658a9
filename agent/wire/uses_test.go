package wire

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/agent/pass"
)

func TestDecodeUses(t *testing.T) {
	many := Uses{Site: "hq"}
	for i := range MaxUsesPasses {
		many.Passes = append(many.Passes, PassUse{ID: strings.Repeat("p", MaxPassIDSize-4) + strconv.Itoa(1000+i), Count: pass.MaxUses})
	}
	maxUses, _ := json.Marshal(many)
	tooMany, _ := json.Marshal(Uses{Site: "hq", Passes: append(many.Passes, PassUse{ID: "x", Count: 1})})
	if len(maxUses) > MaxUsesSize {
		t.Fatalf("the largest valid uses message is %d bytes, over the limit %d", len(maxUses), MaxUsesSize)
	}
	tests := []struct {
		name, in string
		want     Uses
		kind     error
	}{
		{"one", `{"site":"hq","passes":[{"id":"p-1","count":2}]}`, Uses{Site: "hq", Passes: []PassUse{{ID: "p-1", Count: 2}}}, nil},
		{"max", string(maxUses), many, nil},
		{"no site", `{"passes":[{"id":"p-1","count":1}]}`, Uses{}, ErrInvalid},
		{"bad site", `{"site":"HQ","passes":[{"id":"p-1","count":1}]}`, Uses{}, ErrInvalid},
		{"site and gate", `{"site":"hq/main-gate","passes":[{"id":"p-1","count":1}]}`, Uses{}, ErrInvalid},
		{"no passes", `{"site":"hq"}`, Uses{}, ErrInvalid},
		{"empty passes", `{"site":"hq","passes":[]}`, Uses{}, ErrInvalid},
		{"too many passes", string(tooMany), Uses{}, ErrInvalid},
		{"empty id", `{"site":"hq","passes":[{"id":"","count":1}]}`, Uses{}, ErrInvalid},
		{"long id", `{"site":"hq","passes":[{"id":"` + strings.Repeat("a", MaxPassIDSize+1) + `","count":1}]}`, Uses{}, ErrInvalid},
		{"id twice", `{"site":"hq","passes":[{"id":"a","count":1},{"id":"a","count":2}]}`, Uses{}, ErrInvalid},
		{"count 0", `{"site":"hq","passes":[{"id":"a","count":0}]}`, Uses{}, ErrInvalid},
		{"negative count", `{"site":"hq","passes":[{"id":"a","count":-1}]}`, Uses{}, ErrInvalid},
		{"count past int32", `{"site":"hq","passes":[{"id":"a","count":2147483648}]}`, Uses{}, ErrInvalid},
		{"fractional count", `{"site":"hq","passes":[{"id":"a","count":1.5}]}`, Uses{}, ErrMalformed},
		{"count as text", `{"site":"hq","passes":[{"id":"a","count":"1"}]}`, Uses{}, ErrMalformed},
		{"unknown member", `{"site":"hq","passes":[{"id":"a","count":1,"gate":"g"}]}`, Uses{}, ErrMalformed},
		{"uppercase key", `{"site":"hq","passes":[{"ID":"a","count":1}]}`, Uses{}, ErrMalformed},
		{"duplicate key", `{"site":"hq","site":"annex","passes":[{"id":"a","count":1}]}`, Uses{}, ErrMalformed},
		{"huge", `{"site":"hq","passes":[{"id":"` + strings.Repeat("a", MaxUsesSize) + `","count":1}]}`, Uses{}, ErrTooLarge},
	}
	for _, m := range malformedCases {
		tests = append(tests, struct {
			name, in string
			want     Uses
			kind     error
		}{m.name, m.in, Uses{}, ErrMalformed})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeUses([]byte(tt.in))
			if kindOf(err) != tt.kind || (err != nil) != (tt.kind != nil) || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DecodeUses(%.80q) = %.200v, %v, want %.200v, %v", tt.in, got, err, tt.want, tt.kind)
			}
		})
	}
}

func FuzzDecodeUses(f *testing.F) {
	for _, s := range []string{`{"site":"hq","passes":[{"id":"p-1","count":2}]}`, `{"site":"hq","passes":[{"id":"a","count":1},{"id":"b","count":2147483647}]}`,
		`{"site":"","passes":[]}`, `{"site":"hq","passes":[{"id":"a","count":1},{"id":"a","count":1}]}`, `{"site":"hq","passes":[{"id":"a","count":1e3}]}`,
		`{"site":"hq","passes":[{"id":"a\u0000","count":1}]}`, `{"site":"hq","passes":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		u, err := DecodeUses(in)
		if err != nil {
			checkKind(t, "DecodeUses", in, err)
			return
		}
		if !ValidName(u.Site) || len(u.Passes) == 0 || len(u.Passes) > MaxUsesPasses {
			t.Fatalf("DecodeUses(%q) = site %q, %d passes", in, u.Site, len(u.Passes))
		}
		ids := map[string]bool{}
		for _, p := range u.Passes {
			if p.ID == "" || len(p.ID) > MaxPassIDSize || ids[p.ID] || p.Count < 1 || p.Count > pass.MaxUses {
				t.Fatalf("DecodeUses(%q) accepted %+v", in, p)
			}
			ids[p.ID] = true
		}
		roundTrip(t, "DecodeUses", u, DecodeUses)
	})
}
