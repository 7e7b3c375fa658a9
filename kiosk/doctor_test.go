package kiosk

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/roomgate/roomgate/provisioning/doctor"
)

// fakeDoctor emits one result per check it is given and remembers what
// was asked.
type fakeDoctor struct {
	mu    sync.Mutex
	asked [][]string
	busy  bool
}

func (f *fakeDoctor) RunDoctor(ctx context.Context, asked []string, emit func(doctor.Event)) (doctor.Report, error) {
	f.mu.Lock()
	f.asked = append(f.asked, asked)
	busy := f.busy
	f.mu.Unlock()
	if busy {
		return doctor.Report{}, ErrDoctorBusy
	}
	checks := []doctor.Check{
		{Name: "clock", Run: func(context.Context) doctor.Result { return doctor.Result{Verdict: doctor.OK} }},
		{Name: "scan:front", Interactive: true, Prompt: doctor.Text{EN: "scan", VI: "quét"}, Run: func(context.Context) doctor.Result {
			return doctor.Result{Verdict: doctor.Failure, Remedy: &doctor.Text{EN: "plug it", VI: "cắm vào"}}
		}},
	}
	return doctor.Run(ctx, checks, asked, emit), nil
}

func doctorServer(t *testing.T, token string) (*fakeDoctor, *fakeActions, *httptest.Server) {
	t.Helper()
	s, act, srv := newTestServer(t)
	d := &fakeDoctor{}
	s.EnableDoctor(d, token)
	return d, act, srv
}

// readEvents reads a doctor stream.
func readEvents(t *testing.T, resp *http.Response) []doctor.Event {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Fatalf("doctor answered %d %s, want an ndjson stream", resp.StatusCode, ct)
	}
	var out []doctor.Event
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var ev doctor.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out = append(out, ev)
	}
	return out
}

func TestDoctorForTheTechnician(t *testing.T) {
	d, act, srv := doctorServer(t, "")
	cookie, csrf := login(t, srv, RoleTechnician, testConfig.TechnicianPIN)
	evs := readEvents(t, do(t, srv, "POST", "/api/doctor", `{"interactive":["scan:front"]}`, cookie, csrf))
	var running []string
	for _, ev := range evs {
		if ev.Running != "" {
			running = append(running, ev.Running)
		}
	}
	last := evs[len(evs)-1]
	if !slices.Equal(running, []string{"clock", "scan:front"}) || last.Report == nil || last.Report.ExitCode() != doctor.ExitFailure {
		t.Errorf("stream ran %v and ended %+v; want clock, scan:front and the report", running, last)
	}
	if evs[2].Prompt == nil || evs[2].Prompt.VI != "quét" {
		t.Errorf("the interactive check's start %+v carries no prompt", evs[2])
	}
	act.mu.Lock()
	recorded := slices.ContainsFunc(act.actions, func(a Action) bool { return a.Role == RoleTechnician && a.Action == "self_test" })
	act.mu.Unlock()
	if !recorded {
		t.Error("the technician's self-test is not recorded")
	}

	d.busy = true
	if resp := do(t, srv, "POST", "/api/doctor", `{}`, cookie, csrf); resp.StatusCode != http.StatusConflict {
		t.Errorf("doctor while one runs = %d, want 409", resp.StatusCode)
	}
}

func TestDoctorRefused(t *testing.T) {
	d, _, srv := doctorServer(t, "local-secret")
	sec, secCSRF := login(t, srv, RoleSecretary, testConfig.SecretaryPIN)
	tech, techCSRF := login(t, srv, RoleTechnician, testConfig.TechnicianPIN)
	post := func(body string, header map[string]string) int {
		req, _ := http.NewRequest("POST", srv.URL+"/api/doctor", strings.NewReader(body))
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		name string
		code int
	}{
		{"no session", do(t, srv, "POST", "/api/doctor", `{}`, nil, "").StatusCode},
		{"secretary", do(t, srv, "POST", "/api/doctor", `{}`, sec, secCSRF).StatusCode},
		{"technician without CSRF", do(t, srv, "POST", "/api/doctor", `{}`, tech, "").StatusCode},
		{"wrong token", post(`{}`, map[string]string{DoctorTokenHeader: "guess"})},
	} {
		if tc.code != http.StatusForbidden {
			t.Errorf("%s: doctor = %d, want 403", tc.name, tc.code)
		}
	}
	for _, body := range []string{`{"interactive":"all"}`, `{"interactive":["` + strings.Repeat("x", 65) + `"]}`,
		`{"interactive":[` + strings.Repeat(`"a",`, 16) + `"a"]}`, `{"rm":1}`, `[`} {
		if code := do(t, srv, "POST", "/api/doctor", body, tech, techCSRF).StatusCode; code != http.StatusBadRequest {
			t.Errorf("doctor(%.40s) = %d, want 400", body, code)
		}
	}
	if code := post(`{"interactive":["all"]}`, map[string]string{DoctorTokenHeader: "local-secret"}); code != http.StatusOK {
		t.Errorf("doctor with the local token = %d, want 200", code)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.asked) != 1 || !slices.Equal(d.asked[0], []string{"all"}) {
		t.Errorf("the doctor ran for %v; only the good requests may reach it", d.asked)
	}
}

// Without a local token (the agent could not write it) only the
// technician's session runs the self-test.
func TestDoctorWithoutLocalToken(t *testing.T) {
	_, _, srv := doctorServer(t, "")
	req, _ := http.NewRequest("POST", srv.URL+"/api/doctor", strings.NewReader(`{}`))
	req.Header.Set(DoctorTokenHeader, "")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("doctor with an empty token = %d, want 403", resp.StatusCode)
	}
}
