package wire

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/pass"
)

const (
	key1 = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" // 32 bytes, base64url
	key2 = "Nq6d3fBBN_mYTqtOrBPC0ghRChOsp3bvhGWlXExp8hM"
)

// sentinels are the kinds every decoder error must wrap one of.
var sentinels = []error{ErrTooLarge, ErrMalformed, ErrInvalid, ErrUnknownCommand}

func kindOf(err error) error {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return s
		}
	}
	return nil
}

// malformedCases are bad for every object-shaped decoder.
var malformedCases = []struct {
	name, in string
}{
	{"empty", ``},
	{"space", `  `},
	{"not json", `hello`},
	{"truncated", `{"version":1,`},
	{"null", `null`},
	{"array", `[]`},
	{"string", `"x"`},
	{"number", `1`},
	{"two values", `{} {}`},
	{"trailing garbage", `{}x`},
	{"trailing brace", `{}}`},
	{"unknown key", `{"nope":1}`},
	{"uppercase key", `{"IDS":["a"]}`},
	{"folded key", `{"ſpecversion":"1.0"}`},
	{"deep", strings.Repeat(`[`, 40) + strings.Repeat(`]`, 40)},
}

func TestDecodeAck(t *testing.T) {
	ids := make([]string, MaxAckIDs)
	for i := range ids {
		ids[i] = "0192d1c2-7f3e-7a3b-9c4d-5e6f7a8b9c0d"
	}
	maxAck, _ := json.Marshal(Ack{IDs: ids})
	tooMany, _ := json.Marshal(Ack{IDs: append(ids, "x")})
	tests := []struct {
		name, in string
		want     Ack
		kind     error
	}{
		{"one", `{"ids":["a"]}`, Ack{IDs: []string{"a"}}, nil},
		{"spaces", " \n{ \"ids\" : [ \"a\" , \"b\" ] }\n", Ack{IDs: []string{"a", "b"}}, nil},
		{"max ids", string(maxAck), Ack{IDs: ids}, nil},
		{"escaped key", `{"\u0069ds":["a"]}`, Ack{IDs: []string{"a"}}, nil},
		{"quotes and brackets in a string", `{"ids":["a\"}{,[","b\\"]}`, Ack{IDs: []string{`a"}{,[`, `b\`}}, nil},
		{"duplicate key escaped", `{"ids":["a"],"\u0069ds":["b"]}`, Ack{}, ErrMalformed},
		{"uppercase key escaped", `{"\u0049DS":["a"]}`, Ack{}, ErrMalformed},
		{"missing ids", `{}`, Ack{}, ErrInvalid},
		{"null ids", `{"ids":null}`, Ack{}, ErrInvalid},
		{"empty ids", `{"ids":[]}`, Ack{}, ErrInvalid},
		{"empty id", `{"ids":[""]}`, Ack{}, ErrInvalid},
		{"long id", `{"ids":["` + strings.Repeat("a", MaxIDSize+1) + `"]}`, Ack{}, ErrInvalid},
		{"id with space", `{"ids":["a b"]}`, Ack{}, ErrInvalid},
		{"id with control", `{"ids":["a\u0001"]}`, Ack{}, ErrInvalid},
		{"too many ids", string(tooMany), Ack{}, ErrInvalid},
		{"ids not array", `{"ids":"a"}`, Ack{}, ErrMalformed},
		{"id not string", `{"ids":[1]}`, Ack{}, ErrMalformed},
		{"duplicate key", `{"ids":["a"],"ids":["b"]}`, Ack{}, ErrMalformed},
		{"huge", `{"ids":["` + strings.Repeat("a", MaxAckSize) + `"]}`, Ack{}, ErrTooLarge},
	}
	for _, m := range malformedCases {
		tests = append(tests, struct {
			name, in string
			want     Ack
			kind     error
		}{m.name, m.in, Ack{}, ErrMalformed})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeAck([]byte(tt.in))
			if kindOf(err) != tt.kind || (err != nil) != (tt.kind != nil) || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DecodeAck(%.80q) = %v, %v, want %v, %v", tt.in, got, err, tt.want, tt.kind)
			}
		})
	}
}

func TestDecodeConfig(t *testing.T) {
	tests := []struct {
		name, in string
		want     Config
		kind     error
	}{
		{"ok", `{"version":3,"yaml":"identity:\n  site: hq\n"}`, Config{Version: 3, YAML: "identity:\n  site: hq\n"}, nil},
		{"max int64", `{"version":9223372036854775807,"yaml":"a"}`, Config{Version: 1<<63 - 1, YAML: "a"}, nil},
		{"zero version", `{"version":0,"yaml":"a"}`, Config{}, ErrInvalid},
		{"negative version", `{"version":-1,"yaml":"a"}`, Config{}, ErrInvalid},
		{"missing version", `{"yaml":"a"}`, Config{}, ErrInvalid},
		{"missing yaml", `{"version":1}`, Config{}, ErrInvalid},
		{"empty yaml", `{"version":1,"yaml":""}`, Config{}, ErrInvalid},
		{"version string", `{"version":"1","yaml":"a"}`, Config{}, ErrMalformed},
		{"version float", `{"version":1.5,"yaml":"a"}`, Config{}, ErrMalformed},
		{"version overflow", `{"version":9223372036854775808,"yaml":"a"}`, Config{}, ErrMalformed},
		{"yaml object", `{"version":1,"yaml":{}}`, Config{}, ErrMalformed},
		{"unknown field", `{"version":1,"yaml":"a","extra":true}`, Config{}, ErrMalformed},
		{"case folded", `{"Version":1,"yaml":"a"}`, Config{}, ErrMalformed},
		{"huge", `{"version":1,"yaml":"` + strings.Repeat("a", MaxConfigSize) + `"}`, Config{}, ErrTooLarge},
	}
	for _, m := range malformedCases {
		tests = append(tests, struct {
			name, in string
			want     Config
			kind     error
		}{m.name, m.in, Config{}, ErrMalformed})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeConfig([]byte(tt.in))
			if kindOf(err) != tt.kind || (err != nil) != (tt.kind != nil) || got != tt.want {
				t.Errorf("DecodeConfig(%.80q) = %v, %v, want %v, %v", tt.in, got, err, tt.want, tt.kind)
			}
		})
	}
}

func TestDecodeTrust(t *testing.T) {
	revoked := make([]string, MaxRevoked+1)
	for i := range revoked {
		revoked[i] = "pass-" + strconv.Itoa(i)
	}
	big, _ := json.Marshal(Trust{Version: 1, Revoked: revoked[:MaxRevoked]})
	tooMany, _ := json.Marshal(Trust{Version: 1, Revoked: revoked})
	issuers := make([]TrustIssuer, MaxIssuers+1)
	for i := range issuers {
		issuers[i] = TrustIssuer{Kid: "k" + strconv.Itoa(i), PublicKey: key1}
	}
	manyIssuers, _ := json.Marshal(Trust{Version: 1, Issuers: issuers})
	iss := `{"kid":"city-1","iss":"https://city.example","public_key":"` + key1 + `"}`
	tests := []struct {
		name, in string
		want     Trust
		kind     error
	}{
		{"ok", `{"version":2,"issuers":[` + iss + `,{"kid":"city-2","iss":"","public_key":"` + key2 + `"}],"revoked":["p1","p2"]}`,
			Trust{Version: 2, Issuers: []TrustIssuer{{"city-1", "https://city.example", key1}, {"city-2", "", key2}}, Revoked: []string{"p1", "p2"}}, nil},
		{"lists absent", `{"version":1}`, Trust{Version: 1, Issuers: []TrustIssuer{}, Revoked: []string{}}, nil},
		{"lists null", `{"version":1,"issuers":null,"revoked":null}`, Trust{Version: 1, Issuers: []TrustIssuer{}, Revoked: []string{}}, nil},
		{"iss absent", `{"version":1,"issuers":[{"kid":"k","public_key":"` + key1 + `"}]}`, Trust{Version: 1, Issuers: []TrustIssuer{{Kid: "k", PublicKey: key1}}, Revoked: []string{}}, nil},
		{"max revoked", string(big), Trust{Version: 1, Issuers: []TrustIssuer{}, Revoked: revoked[:MaxRevoked]}, nil},
		{"no version", `{"issuers":[]}`, Trust{}, ErrInvalid},
		{"too many revoked", string(tooMany), Trust{}, ErrInvalid},
		{"too many issuers", string(manyIssuers), Trust{}, ErrInvalid},
		{"empty kid", `{"version":1,"issuers":[{"kid":"","public_key":"` + key1 + `"}]}`, Trust{}, ErrInvalid},
		{"duplicate kid", `{"version":1,"issuers":[` + iss + `,` + iss + `]}`, Trust{}, ErrInvalid},
		{"long iss", `{"version":1,"issuers":[{"kid":"k","iss":"` + strings.Repeat("i", MaxIssSize+1) + `","public_key":"` + key1 + `"}]}`, Trust{}, ErrInvalid},
		{"short key", `{"version":1,"issuers":[{"kid":"k","public_key":"AAAA"}]}`, Trust{}, ErrInvalid},
		{"padded key", `{"version":1,"issuers":[{"kid":"k","public_key":"` + key1 + `="}]}`, Trust{}, ErrInvalid},
		{"std base64 key", `{"version":1,"issuers":[{"kid":"k","public_key":"` + strings.ReplaceAll(key1, "_", "/") + `"}]}`, Trust{}, ErrInvalid},
		{"empty revoked id", `{"version":1,"revoked":[""]}`, Trust{}, ErrInvalid},
		{"long revoked id", `{"version":1,"revoked":["` + strings.Repeat("r", MaxPassIDSize+1) + `"]}`, Trust{}, ErrInvalid},
		{"duplicate revoked", `{"version":1,"revoked":["a","a"]}`, Trust{}, ErrInvalid},
		{"issuer unknown field", `{"version":1,"issuers":[{"kid":"k","public_key":"` + key1 + `","alg":"EdDSA"}]}`, Trust{}, ErrMalformed},
		{"issuer upper key", `{"version":1,"issuers":[{"KID":"k","public_key":"` + key1 + `"}]}`, Trust{}, ErrMalformed},
		{"issuers object", `{"version":1,"issuers":{}}`, Trust{}, ErrMalformed},
		{"revoked numbers", `{"version":1,"revoked":[1,2]}`, Trust{}, ErrMalformed},
		{"huge", `{"version":1,"revoked":["` + strings.Repeat("a", MaxTrustSize) + `"]}`, Trust{}, ErrTooLarge},
	}
	for _, m := range malformedCases {
		tests = append(tests, struct {
			name, in string
			want     Trust
			kind     error
		}{m.name, m.in, Trust{}, ErrMalformed})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeTrust([]byte(tt.in))
			if kindOf(err) != tt.kind || (err != nil) != (tt.kind != nil) || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DecodeTrust(%.80q) = %.200v, %v, want %.200v, %v", tt.in, got, err, tt.want, tt.kind)
			}
		})
	}
}

// The revoked list holds pass ids, which agent/pass bounds.
func TestPassIDLimit(t *testing.T) {
	if MaxPassIDSize != pass.MaxIDSize {
		t.Errorf("MaxPassIDSize = %d, want pass.MaxIDSize %d", MaxPassIDSize, pass.MaxIDSize)
	}
}

func TestDecodeCommand(t *testing.T) {
	tests := []struct {
		name, in string
		want     Command
		kind     error
	}{
		{"ping", `{"id":"c1","name":"ping"}`, Command{ID: "c1", Name: CmdPing}, nil},
		{"open door with args", `{"id":"c2","name":"open_door","args":{"Seconds":3,"x":{"Y":[1]}}}`, Command{ID: "c2", Name: CmdOpenDoor, Args: json.RawMessage(`{"Seconds":3,"x":{"Y":[1]}}`)}, nil},
		{"resync empty args", `{"id":"c3","name":"resync","args":{}}`, Command{ID: "c3", Name: CmdResync, Args: json.RawMessage(`{}`)}, nil},
		{"unknown command", `{"id":"c4","name":"self_destruct"}`, Command{ID: "c4", Name: "self_destruct"}, ErrUnknownCommand},
		{"empty name", `{"id":"c5","name":""}`, Command{ID: "c5"}, ErrUnknownCommand},
		{"missing id", `{"name":"ping"}`, Command{}, ErrInvalid},
		{"long id", `{"id":"` + strings.Repeat("i", MaxIDSize+1) + `","name":"ping"}`, Command{}, ErrInvalid},
		{"args array", `{"id":"c","name":"ping","args":[]}`, Command{}, ErrMalformed},
		{"args null", `{"id":"c","name":"ping","args":null}`, Command{}, ErrMalformed},
		{"args string", `{"id":"c","name":"ping","args":"x"}`, Command{}, ErrMalformed},
		{"duplicate args key", `{"id":"c","name":"ping","args":{"a":1,"a":2}}`, Command{}, ErrMalformed},
		{"args deep", `{"id":"c","name":"ping","args":` + strings.Repeat(`{"a":`, maxDepth) + `1` + strings.Repeat(`}`, maxDepth) + `}`, Command{}, ErrMalformed},
		{"id number", `{"id":1,"name":"ping"}`, Command{}, ErrMalformed},
		{"name number", `{"id":"c","name":7}`, Command{}, ErrMalformed},
		{"unknown field", `{"id":"c","name":"ping","when":"now"}`, Command{}, ErrMalformed},
		{"huge", `{"id":"c","name":"ping","args":{"a":"` + strings.Repeat("a", MaxCommandSize) + `"}}`, Command{}, ErrTooLarge},
	}
	for _, m := range malformedCases {
		tests = append(tests, struct {
			name, in string
			want     Command
			kind     error
		}{m.name, m.in, Command{}, ErrMalformed})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeCommand([]byte(tt.in))
			if kindOf(err) != tt.kind || (err != nil) != (tt.kind != nil) || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DecodeCommand(%.80q) = %+v, %v, want %+v, %v", tt.in, got, err, tt.want, tt.kind)
			}
		})
	}
}

func TestDecodeCommandResult(t *testing.T) {
	tests := []struct {
		name, in string
		want     CommandResult
		kind     error
	}{
		{"ok", `{"id":"c1","ok":true,"result":{"pong":true}}`, CommandResult{ID: "c1", OK: true, Result: json.RawMessage(`{"pong":true}`)}, nil},
		{"failed", `{"id":"c1","ok":false,"error":"door unavailable"}`, CommandResult{ID: "c1", Error: "door unavailable"}, nil},
		{"null result", `{"id":"c1","ok":true,"result":null}`, CommandResult{ID: "c1", OK: true}, nil},
		{"ok missing", `{"id":"c1"}`, CommandResult{}, ErrInvalid},
		{"failed without error", `{"id":"c1","ok":false}`, CommandResult{}, ErrInvalid},
		{"long error", `{"id":"c1","ok":false,"error":"` + strings.Repeat("e", MaxErrorSize+1) + `"}`, CommandResult{}, ErrInvalid},
		{"result array", `{"id":"c1","ok":true,"result":[1]}`, CommandResult{}, ErrMalformed},
		{"ok string", `{"id":"c1","ok":"true"}`, CommandResult{}, ErrMalformed},
		{"no id", `{"ok":true}`, CommandResult{}, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeCommandResult([]byte(tt.in))
			if kindOf(err) != tt.kind || (err != nil) != (tt.kind != nil) || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DecodeCommandResult(%.80q) = %+v, %v, want %+v, %v", tt.in, got, err, tt.want, tt.kind)
			}
		})
	}
}

// A result the box encodes is one the city decodes.
func TestCommandResultRoundTrip(t *testing.T) {
	in := CommandResult{ID: "c9", OK: true, Result: map[string]any{"open": true, "gate": "g1"}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeCommandResult(b)
	want := CommandResult{ID: "c9", OK: true, Result: json.RawMessage(`{"gate":"g1","open":true}`)}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("DecodeCommandResult(%s) = %+v, %v, want %+v", b, got, err, want)
	}
}

func TestStateRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	in := State{
		Online: true, Time: at,
		Versions: Versions{Software: "1.2.3", Config: 4, Trust: 7, Model: "dlib-resnet-v1"},
		Config:   Applied{Version: 5, Error: "sync.window: must be positive"},
		Trust:    Applied{Version: 7, Applied: true},
		Outbox:   OutboxState{Pending: 12, Oldest: at.Add(-time.Hour), Alarm: true},
		Link:     LinkState{Connected: true, Sent: 10, Acked: 9, Resent: 1, Refused: 2},
		Devices:  []DeviceState{{Name: "door", Kind: "door", OK: true}, {Name: "front", Kind: "scanner", Detail: "unplugged"}},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeState(b)
	if err != nil || !reflect.DeepEqual(got, in) {
		t.Errorf("DecodeState(%s) = %+v, %v, want %+v", b, got, err, in)
	}
}

func TestOffline(t *testing.T) {
	if got := string(Offline()); got != `{"online":false}` {
		t.Errorf("Offline() = %s, want {\"online\":false}", got)
	}
	if s, err := DecodeState(Offline()); err != nil || s.Online {
		t.Errorf("DecodeState(Offline()) = %+v, %v, want offline", s, err)
	}
}

func TestDecodeState(t *testing.T) {
	devices := strings.Repeat(`{"name":"d","kind":"k","ok":true},`, MaxDevices)
	for _, tt := range []struct {
		name, in string
		kind     error
	}{
		{"unknown field", `{"online":true,"uptime":3}`, ErrMalformed},
		{"nested unknown", `{"online":true,"link":{"connected":true,"rtt":3}}`, ErrMalformed},
		{"bad time", `{"online":true,"time":"yesterday"}`, ErrMalformed},
		{"too many devices", `{"online":true,"devices":[` + devices + `{"name":"d","kind":"k","ok":true}]}`, ErrInvalid},
		{"huge", `{"online":true,"last_error":"` + strings.Repeat("e", MaxStateSize) + `"}`, ErrTooLarge},
	} {
		if _, err := DecodeState([]byte(tt.in)); kindOf(err) != tt.kind {
			t.Errorf("DecodeState(%.80q) = %v, want %v", tt.in, err, tt.kind)
		}
	}
}

func TestDecodeDeletePersonArgs(t *testing.T) {
	tests := []struct {
		name, in string
		want     DeletePersonArgs
		kind     error
	}{
		{"person", `{"person_id":"P-an"}`, DeletePersonArgs{PersonID: "P-an"}, nil},
		{"empty id", `{"person_id":""}`, DeletePersonArgs{}, ErrInvalid},
		{"no id", `{}`, DeletePersonArgs{}, ErrInvalid},
		{"long id", `{"person_id":"` + strings.Repeat("p", MaxPersonIDSize+1) + `"}`, DeletePersonArgs{}, ErrInvalid},
		{"id number", `{"person_id":7}`, DeletePersonArgs{}, ErrMalformed},
		{"unknown field", `{"person_id":"P","all":true}`, DeletePersonArgs{}, ErrMalformed},
		{"duplicate key", `{"person_id":"P-a","person_id":"P-b"}`, DeletePersonArgs{}, ErrMalformed},
		{"none", ``, DeletePersonArgs{}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeDeletePersonArgs(json.RawMessage(tt.in))
			if kindOf(err) != tt.kind || (err != nil) != (tt.kind != nil) || got.PersonID != tt.want.PersonID {
				t.Errorf("DecodeDeletePersonArgs(%.80q) = %+v, %v, want %+v, %v", tt.in, got, err, tt.want, tt.kind)
			}
		})
	}
}
