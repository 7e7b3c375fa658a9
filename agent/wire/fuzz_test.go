package wire

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// Every fuzz target checks that the decoder never panics, that each error
// wraps a sentinel, and that an accepted value survives encoding and
// decoding again unchanged.

func checkKind(t *testing.T, fn string, in []byte, err error) {
	t.Helper()
	if kindOf(err) == nil {
		t.Fatalf("%s(%q) = %v, want an error wrapping a wire sentinel", fn, in, err)
	}
}

func roundTrip[T any](t *testing.T, fn string, v T, decode func([]byte) (T, error)) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s accepted %+v, which does not encode: %v", fn, v, err)
	}
	again, err := decode(b)
	if err != nil || !reflect.DeepEqual(again, v) {
		t.Fatalf("%s(%s) = %+v, %v, want %+v", fn, b, again, err, v)
	}
}

func FuzzDecodeAck(f *testing.F) {
	for _, s := range []string{`{"ids":["a"]}`, `{"ids":["0192d1c2-7f3e-7a3b-9c4d-5e6f7a8b9c0d","b"]}`, `{"ids":[]}`, `{"IDS":["a"]}`, `{"ids":["a"],"ids":["b"]}`, `{"ids":[1]}`, `null`, `{}x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		a, err := DecodeAck(in)
		if err != nil {
			checkKind(t, "DecodeAck", in, err)
			return
		}
		if len(a.IDs) == 0 || len(a.IDs) > MaxAckIDs {
			t.Fatalf("DecodeAck(%q) = %d ids", in, len(a.IDs))
		}
		for _, id := range a.IDs {
			if checkID(id) != nil {
				t.Fatalf("DecodeAck(%q) accepted id %q", in, id)
			}
		}
		roundTrip(t, "DecodeAck", a, DecodeAck)
	})
}

func FuzzDecodeConfig(f *testing.F) {
	for _, s := range []string{`{"version":1,"yaml":"a: b\n"}`, `{"version":9223372036854775807,"yaml":"x"}`, `{"version":0,"yaml":"x"}`, `{"version":1.0,"yaml":"x"}`, `{"Version":1,"yaml":"x"}`, `{"version":1,"yaml":"\u0000"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := DecodeConfig(in)
		if err != nil {
			checkKind(t, "DecodeConfig", in, err)
			return
		}
		if c.Version < 1 || c.YAML == "" {
			t.Fatalf("DecodeConfig(%q) = %+v", in, c)
		}
		roundTrip(t, "DecodeConfig", c, DecodeConfig)
	})
}

func FuzzDecodeTrust(f *testing.F) {
	for _, s := range []string{
		`{"version":1,"issuers":[{"kid":"k","iss":"i","public_key":"` + key1 + `"}],"revoked":["p"]}`,
		`{"version":2}`, `{"version":3,"issuers":null,"revoked":[]}`,
		`{"version":1,"issuers":[{"kid":"k","public_key":"AAAA"}]}`,
		`{"version":1,"revoked":["a","a"]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		tr, err := DecodeTrust(in)
		if err != nil {
			checkKind(t, "DecodeTrust", in, err)
			return
		}
		if tr.Version < 1 || tr.Issuers == nil || tr.Revoked == nil {
			t.Fatalf("DecodeTrust(%q) = %+v", in, tr)
		}
		for _, is := range tr.Issuers {
			if k, err := is.Key(); err != nil || len(k) != 32 {
				t.Fatalf("DecodeTrust(%q) accepted issuer %+v: %v", in, is, err)
			}
		}
		roundTrip(t, "DecodeTrust", tr, DecodeTrust)
	})
}

func FuzzDecodeCommand(f *testing.F) {
	for _, s := range []string{`{"id":"c1","name":"ping"}`, `{"id":"c2","name":"open_door","args":{"a":[1,{"b":null}]}}`, `{"id":"c3","name":"reboot"}`, `{"id":"c","name":"ping","args":[]}`, `{"id":"c","name":"ping","args":{"a":1,"a":1}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := DecodeCommand(in)
		if errors.Is(err, ErrUnknownCommand) {
			if checkID(c.ID) != nil {
				t.Fatalf("DecodeCommand(%q) = %+v, %v: an unknown command without a valid id", in, c, err)
			}
			return
		}
		if err != nil {
			checkKind(t, "DecodeCommand", in, err)
			return
		}
		if checkID(c.ID) != nil || (c.Args != nil && firstByte(c.Args) != '{') {
			t.Fatalf("DecodeCommand(%q) = %+v", in, c)
		}
		// Args round-trips as compact JSON, not byte for byte.
		b, _ := json.Marshal(c)
		again, err := DecodeCommand(b)
		if err != nil || again.ID != c.ID || again.Name != c.Name || (c.Args == nil) != (again.Args == nil) {
			t.Fatalf("DecodeCommand(%s) = %+v, %v, want %+v", b, again, err, c)
		}
	})
}

func FuzzDecodeEvents(f *testing.F) {
	for _, s := range []string{"[" + goodEvent + "]", "[" + goodEvent + "," + goodEvent + "]", `[{}]`, `[]`, `[1]`, `[{"a":1,"a":2}]`, "[" + withField("data", `[]`) + "]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		batch, err := DecodeEvents(in)
		if err != nil {
			checkKind(t, "DecodeEvents", in, err)
			return
		}
		if len(batch) == 0 || len(batch) > MaxBatchEvents {
			t.Fatalf("DecodeEvents(%q) = %d events", in, len(batch))
		}
		// The split agrees with encoding/json's, byte for byte.
		var ref []json.RawMessage
		if err := json.Unmarshal(in, &ref); err != nil || len(ref) != len(batch) {
			t.Fatalf("DecodeEvents(%q) = %d events, json.Unmarshal = %d, %v", in, len(batch), len(ref), err)
		}
		for i := range ref {
			if string(ref[i]) != string(batch[i]) {
				t.Fatalf("DecodeEvents(%q)[%d] = %q, json.Unmarshal has %q", in, i, batch[i], ref[i])
			}
		}
		for _, raw := range batch {
			e, err := DecodeEvent(raw, "gate-7")
			if err != nil {
				checkKind(t, "DecodeEvent", raw, err)
				continue
			}
			if e.Validate("gate-7") != nil || e.Validate("gate-8") == nil {
				t.Fatalf("DecodeEvent(%q) = %+v, which does not validate for its device alone", raw, e)
			}
			b, err := json.Marshal(e)
			if err != nil {
				t.Fatalf("DecodeEvent(%q) = %+v, which does not encode: %v", raw, e, err)
			}
			if _, err := DecodeEvent(b, "gate-7"); err != nil {
				t.Fatalf("DecodeEvent(%s) = %v after a round trip of %q", b, err, raw)
			}
		}
	})
}

func FuzzDecodeSchedule(f *testing.F) {
	for _, s := range []string{
		schedJSON(meetingJSON("m1", nil)), schedJSON(meetingJSON("m1", nil), meetingJSON("m2", map[string]string{"invitees": "-"})),
		`{"version":1,"meetings":[]}`, `{"version":1}`, schedJSON(meetingJSON("m1", nil), meetingJSON("m1", nil)),
		schedJSON(meetingJSON("m1", map[string]string{"end": `"2026-03-02T08:00:00Z"`})),
		schedJSON(meetingJSON("m1", map[string]string{"bridge": `{"dial":"sip:a@b;transport=tls","protocol":"sip","speed":1920,"auto_join":false}`})),
		schedJSON(meetingJSON("m1", map[string]string{"bridge": `{"dial":"8001\" x","protocol":"h323"}`})),
		schedJSON(meetingJSON("m1", map[string]string{"bridge": `{"dial":"8001","speed":63}`})),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := DecodeSchedule(in)
		if err != nil {
			checkKind(t, "DecodeSchedule", in, err)
			return
		}
		if s.Version < 1 || s.Meetings == nil {
			t.Fatalf("DecodeSchedule(%q) = %+v", in, s)
		}
		for _, m := range s.Meetings {
			if m.ID == "" || !m.Start.Before(m.End) || m.CheckInCloses.Before(m.CheckInOpens) || !m.CheckInOpens.Before(m.End) || m.Invitees == nil {
				t.Fatalf("DecodeSchedule(%q) accepted meeting %+v", in, m)
			}
			if m.Bridge != nil && checkBridge(*m.Bridge) != nil {
				t.Fatalf("DecodeSchedule(%q) accepted bridge %+v", in, *m.Bridge)
			}
		}
		roundTrip(t, "DecodeSchedule", s, DecodeSchedule)
	})
}

func FuzzDecodeGalleryManifest(f *testing.F) {
	for _, s := range []string{
		`{"version":3,"model":"sface","dim":128,"count":2,"templates":3,"chunks":2,"sha256":"` + sumHex + `","chunk_sha256":["` + sumHex + `","` + sumHex + `"]}`,
		`{"version":1,"model":"m","dim":0,"count":0,"templates":0,"chunks":0,"sha256":"` + sumHex + `","chunk_sha256":[]}`,
		`{"version":1,"model":"m","dim":1,"count":1,"templates":1,"chunks":1,"sha256":"` + sumHex + `","chunk_sha256":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := DecodeGalleryManifest(in)
		if err != nil {
			checkKind(t, "DecodeGalleryManifest", in, err)
			return
		}
		if m.Version < 1 || len(m.ChunkSHA256) != m.Chunks || m.Chunks > m.Count || m.Templates < m.Count {
			t.Fatalf("DecodeGalleryManifest(%q) = %+v", in, m)
		}
		roundTrip(t, "DecodeGalleryManifest", m, DecodeGalleryManifest)
	})
}

func FuzzDecodeGalleryChunk(f *testing.F) {
	t4 := `"` + base64.StdEncoding.EncodeToString(tmpl4) + `"`
	for _, s := range []string{
		chunkJSON(0, `[{"id":"p1","name":"A","unit":"U","templates":[`+t4+`,`+t4+`]}]`),
		chunkJSON(7, `[{"id":"p1","name":"A","templates":[`+t4+`]},{"id":"p2","name":"B","templates":["AAAAAA=="]}]`),
		chunkJSON(0, `[{"id":"p1","name":"A","templates":["AAA="]}]`),
		chunkJSON(0, `[{"id":"p1","name":"A","templates":[]}]`),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := DecodeGalleryChunk(in)
		if err != nil {
			checkKind(t, "DecodeGalleryChunk", in, err)
			return
		}
		if c.Version < 1 || len(c.People) == 0 {
			t.Fatalf("DecodeGalleryChunk(%q) = %+v", in, c)
		}
		for _, p := range c.People {
			for _, v := range p.Templates {
				if len(v) == 0 || len(v)%4 != 0 {
					t.Fatalf("DecodeGalleryChunk(%q) accepted a template of %d bytes", in, len(v))
				}
			}
		}
		roundTrip(t, "DecodeGalleryChunk", c, DecodeGalleryChunk)
	})
}

func FuzzDecodeCall(f *testing.F) {
	for _, s := range []string{
		callJSON(nil), callJSON(map[string]string{"state": `"ended"`, "duration_s": `61.5`}), callJSON(map[string]string{"state": `"idle"`}),
		callJSON(map[string]string{"bridge": `"a\u0000b"`}), callJSON(map[string]string{"attempt": `-1`}),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := DecodeCall(in)
		if err != nil {
			checkKind(t, "DecodeCall", in, err)
			return
		}
		if !slices.Contains(CallStates, c.State) || !slices.Contains(CallBys, c.By) || c.Terminal == "" || len(c.Reason) > MaxReasonSize || hasControl(c.Bridge) {
			t.Fatalf("DecodeCall(%q) = %+v", in, c)
		}
		// Times keep their offset through encoding, so compare instants.
		b, _ := json.Marshal(c)
		again, err := DecodeCall(b)
		if err != nil || !again.At.Equal(c.At) {
			t.Fatalf("DecodeCall(%s) = %+v, %v, want %+v", b, again, err, c)
		}
		again.At = c.At
		if !reflect.DeepEqual(again, c) {
			t.Fatalf("DecodeCall(%s) = %+v, want %+v", b, again, c)
		}
	})
}

func FuzzDecodeDialArgs(f *testing.F) {
	for _, s := range []string{``, `null`, `{}`, `{"meeting":"M-1"}`, `{"dial":"sip:a@b","protocol":"sip","speed":768}`, `{"dial":"a b"}`, `{"speed":64}`,
		`{"meeting":"M-1","dial":"7001@bridge.hcm.gov.vn","protocol":"h323","speed":8192}`, `{"dial":"8001\" ; hangup all"}`,
		`{"dial":"8001","protocol":"isdn"}`, `{"dial":"8001","speed":63}`, `{"meeting":"M\u0007"}`, `{"bridge":{"dial":"8001"}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		a, err := DecodeDialArgs(in)
		if err != nil {
			checkKind(t, "DecodeDialArgs", in, err)
			return
		}
		if b := a.Bridge(); b != nil && checkBridge(*b) != nil || b == nil && (a.Protocol != "" || a.Speed != 0) {
			t.Fatalf("DecodeDialArgs(%q) = %+v", in, a)
		}
		roundTrip(t, "DecodeDialArgs", a, func(p []byte) (DialArgs, error) { return DecodeDialArgs(p) })
	})
}

func FuzzDecodeVisits(f *testing.F) {
	for _, s := range []string{
		visitsJSON(visitJSON("v1", nil)), visitsJSON(visitJSON("v1", nil), visitJSON("v2", map[string]string{"gates": `["hq","b/c"]`})),
		`{"version":1}`, `{"version":1,"visits":[]}`, visitsJSON(visitJSON("v1", nil), visitJSON("v1", nil)),
		visitsJSON(visitJSON("v1", map[string]string{"template": `"AAAAAA=="`})),
		visitsJSON(visitJSON("v1", map[string]string{"not_after": `"2026-11-22T08:00:00+07:00"`})),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		v, err := DecodeVisits(in)
		if err != nil {
			checkKind(t, "DecodeVisits", in, err)
			return
		}
		if v.Version < 1 || v.Visits == nil {
			t.Fatalf("DecodeVisits(%q) = %+v", in, v)
		}
		for _, vi := range v.Visits {
			if !ValidIDNumber(vi.IDNumber) || !vi.NotBefore.Before(vi.NotAfter) || len(vi.Gates) == 0 || len(vi.Template)%4 != 0 || !usableTemplate(vi.Template) {
				t.Fatalf("DecodeVisits(%q) accepted visit %+v", in, vi)
			}
			for _, g := range vi.Gates {
				if strings.Contains(g, ",") {
					t.Fatalf("DecodeVisits(%q) accepted gate %q, which the store cannot keep", in, g)
				}
			}
		}
		roundTrip(t, "DecodeVisits", v, DecodeVisits)
	})
}
