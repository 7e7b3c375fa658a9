package kiosk

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roomgate/roomgate/provisioning/provision"
)

// fakeProvisioner fails every claim at its first step, as an invalid claim
// does, and is busy while busy is set.
type fakeProvisioner struct {
	mu     sync.Mutex
	busy   bool
	claims []string
}

func (f *fakeProvisioner) Provision(ctx context.Context, text string, emit func(provision.Event)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.busy {
		return ErrProvisionBusy
	}
	f.claims = append(f.claims, text)
	remedy := provision.Remedy(provision.ReasonClaimInvalid)
	emit(provision.Event{Step: provision.StepClaim, State: provision.Running})
	emit(provision.Event{Step: provision.StepClaim, State: provision.Failed, Reason: provision.ReasonClaimInvalid, Remedy: &remedy})
	return &provision.Error{Step: provision.StepClaim, Reason: provision.ReasonClaimInvalid}
}

func TestFirstScreen(t *testing.T) {
	prov := &fakeProvisioner{}
	s := NewFirstScreen(BoxInfo{Version: "v9", Hostname: "box-7", Scanners: []string{"front"}}, prov, "local-token", Config{Language: "en"})
	srv := httptest.NewServer(s)
	defer srv.Close()

	// The page at / is the first screen, not the board.
	resp := do(t, srv, "GET", "/", "", nil, "")
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "setup.js") || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %q:\n%.300s", resp.StatusCode, resp.Header.Get("Content-Type"), page)
	}
	if resp := do(t, srv, "GET", "/api/status", "", nil, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unprovisioned box has a board status: %d", resp.StatusCode)
	}

	// A live page hears each step as the agent shows it.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/events", nil)
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	lines := bufio.NewScanner(stream.Body)
	lines.Scan() // retry:
	s.ShowProvision(provision.Event{Step: provision.StepClaim, State: provision.Running})
	s.ShowProvision(provision.Event{Step: provision.StepClaim, State: provision.OK, Detail: "gate g-1"})
	var got []string
	for len(got) < 2 && lines.Scan() {
		if l := lines.Text(); strings.HasPrefix(l, "data: ") {
			got = append(got, l)
		} else if l != "" && l != "event: provision" {
			t.Errorf("unexpected line %q", l)
		}
	}
	if len(got) != 2 || !strings.Contains(got[1], `"detail":"gate g-1"`) {
		t.Errorf("events %q", got)
	}

	// A page that opens late gets the box and the steps so far.
	var st setupState
	resp = do(t, srv, "GET", "/api/setup", "", nil, "")
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if st.Version != "v9" || st.Hostname != "box-7" || st.Language != "en" || len(st.Scanners) != 1 || len(st.Steps) != 2 {
		t.Errorf("setup state %+v", st)
	}
	// A new run starts over.
	s.ShowProvision(provision.Event{Step: provision.StepClaim, State: provision.Running})
	resp = do(t, srv, "GET", "/api/setup", "", nil, "")
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if len(st.Steps) != 1 {
		t.Errorf("a new run kept the old steps: %+v", st.Steps)
	}
}

// POST /api/provision is for `roomgate provision` on this box: its token,
// a claim-sized body, and the steps streamed back.
func TestFirstScreenProvisionRequest(t *testing.T) {
	prov := &fakeProvisioner{}
	srv := httptest.NewServer(NewFirstScreen(BoxInfo{}, prov, "local-token", Config{}))
	defer srv.Close()
	post := func(token, body string) *http.Response {
		req, _ := http.NewRequest("POST", srv.URL+"/api/provision", strings.NewReader(body))
		if token != "" {
			req.Header.Set(ProvisionTokenHeader, token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	for _, tok := range []string{"", "wrong"} {
		if r := post(tok, `{"claim":"x"}`); r.StatusCode != http.StatusForbidden {
			t.Errorf("token %q: %d", tok, r.StatusCode)
		}
	}
	for _, body := range []string{"", "{", `{"claim":"x","more":1}`, `{"claim":"` + strings.Repeat("A", 4096) + `"}`} {
		if r := post("local-token", body); r.StatusCode != http.StatusBadRequest {
			t.Errorf("body %.20q: %d", body, r.StatusCode)
		}
	}
	r := post("local-token", `{"claim":"RGCLAIM1:x"}`)
	if r.StatusCode != 200 || r.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("%d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	var evs []provision.Event
	dec := json.NewDecoder(r.Body)
	for {
		var ev provision.Event
		if dec.Decode(&ev) != nil {
			break
		}
		evs = append(evs, ev)
	}
	if len(evs) != 2 || evs[1].State != provision.Failed || evs[1].Reason != provision.ReasonClaimInvalid || evs[1].Remedy == nil {
		t.Errorf("events %+v", evs)
	}
	if len(prov.claims) != 1 || prov.claims[0] != "RGCLAIM1:x" {
		t.Errorf("claims %q", prov.claims)
	}
	prov.busy = true
	if r := post("local-token", `{"claim":"RGCLAIM1:x"}`); r.StatusCode != http.StatusConflict {
		t.Errorf("while busy: %d", r.StatusCode)
	}
	// No token on the box: nobody but the kiosk's own steps.
	off := httptest.NewServer(NewFirstScreen(BoxInfo{}, prov, "", Config{}))
	defer off.Close()
	req, _ := http.NewRequest("POST", off.URL+"/api/provision", strings.NewReader(`{"claim":"x"}`))
	req.Header.Set(ProvisionTokenHeader, "")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("without a local token: %v %v", resp, err)
	}
}
