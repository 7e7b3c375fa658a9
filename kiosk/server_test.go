package kiosk

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

type fixedSource struct {
	snap Snapshot
	err  error
}

func (f fixedSource) Snapshot(context.Context) (Snapshot, error) { return f.snap, f.err }

// fakeActions keeps what the kiosk asked of it in plain fields.
type fakeActions struct {
	mu       sync.Mutex
	checkIns []ManualCheckIn
	actions  []Action
	queries  []string
}

func (f *fakeActions) Candidates(_ context.Context, meeting, query string) ([]Candidate, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, meeting+"/"+query)
	return []Candidate{{Person: "P-an", Name: "Nguyễn Văn An", Unit: "Sở Tài chính", Invited: true}}, nil
}

func (f *fakeActions) CheckIn(_ context.Context, c ManualCheckIn) (CheckInResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checkIns = append(f.checkIns, c)
	return CheckInResult{Recorded: true, At: time.Date(2025, 3, 4, 8, 55, 0, 0, time.UTC)}, nil
}

func (f *fakeActions) AttendanceCSV(_ context.Context, meeting string, w io.Writer) error {
	if meeting != "m-1" {
		return errors.New("no such meeting")
	}
	_, err := io.WriteString(w, "meeting,person,name\nm-1,P-an,Nguyễn Văn An\n")
	return err
}

func (f *fakeActions) RecordAction(_ context.Context, a Action) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.actions = append(f.actions, a)
	return nil
}

// recorded lists the actions kept, as "role action".
func (f *fakeActions) recorded() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, a := range f.actions {
		out = append(out, a.Role+" "+a.Action)
	}
	return out
}

type fixedFrame []byte

func (f fixedFrame) LatestFrame() ([]byte, time.Time, bool) { return f, time.Now(), f != nil }

var testConfig = Config{SecretaryPIN: "2468", TechnicianPIN: "1357"}

func newTestServer(t *testing.T) (*Server, *fakeActions, *httptest.Server) {
	t.Helper()
	act := &fakeActions{}
	s := NewServer(fixedSource{}, act, fixedFrame("\xff\xd8jpeg"), testConfig)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, act, srv
}

// do sends a request as the kiosk page would: same origin, with the
// session cookie and CSRF token when given.
func do(t *testing.T, srv *httptest.Server, method, target, body string, cookie *http.Cookie, csrf string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if cookie != nil {
		req.AddCookie(cookie)
	}
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// login signs in and returns the session cookie and CSRF token.
func login(t *testing.T, srv *httptest.Server, role, pin string) (*http.Cookie, string) {
	t.Helper()
	resp := do(t, srv, "POST", "/api/login", `{"role":"`+role+`","pin":"`+pin+`"}`, nil, "")
	var reply loginReply
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || reply.Error != "" {
		t.Fatalf("login as %s = %d %+v, want 200 and a session", role, resp.StatusCode, reply)
	}
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
				t.Errorf("session cookie %+v, want HttpOnly and SameSite=Strict", c)
			}
			if reply.CSRF == "" || reply.CSRF == c.Value {
				t.Errorf("CSRF token %q, want one of its own", reply.CSRF)
			}
			return c, reply.CSRF
		}
	}
	t.Fatal("login set no session cookie")
	return nil, ""
}

func TestStatusJSON(t *testing.T) {
	want := Snapshot{Site: "hq", Gate: "main-gate", Entries: []Entry{{Granted: false, Reason: "expired", Name: "Nguyễn Văn An"}},
		Meeting: &Board{ID: "m-1", Title: "Giao ban tuần", Expected: 3, Present: 1}, Gallery: GalleryState{People: 3}}
	srv := httptest.NewServer(NewServer(fixedSource{snap: want}, nil, nil, Config{TechnicianPIN: "1357"}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Snapshot
		Kiosk features `json:"kiosk"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Site != "hq" || len(got.Entries) != 1 || got.Entries[0].Reason != "expired" || got.Entries[0].Name != "Nguyễn Văn An" ||
		got.Meeting == nil || got.Meeting.Title != "Giao ban tuần" || got.Gallery.People != 3 {
		t.Errorf("GET /api/status = %+v, want %+v", got.Snapshot, want)
	}
	if wantF := (features{Language: "vi", GreetingMs: defaultGreetingHold.Milliseconds(), Technician: true}); got.Kiosk != wantF {
		t.Errorf("GET /api/status kiosk = %+v, want %+v (no Actions: no secretary; no Preview; the default hold)", got.Kiosk, wantF)
	}
}

func TestStatusError(t *testing.T) {
	srv := httptest.NewServer(NewServer(fixedSource{err: errors.New("store: disk I/O error")}, nil, nil, Config{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/status")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("GET /api/status with a failing source = %d, want 500", resp.StatusCode)
	}
}

func TestRefusesForeignRequests(t *testing.T) {
	h := NewServer(fixedSource{}, nil, nil, Config{})
	tests := []struct {
		name, host, fetchSite string
		want                  int
	}{
		{"loopback", "127.0.0.1:8080", "", http.StatusOK},
		{"localhost", "localhost:8080", "same-origin", http.StatusOK},
		{"ipv6 loopback", "[::1]:8080", "", http.StatusOK},
		{"dns rebinding", "evil.example:8080", "", http.StatusForbidden},
		{"lan address", "192.168.1.20:8080", "", http.StatusForbidden},
		{"cross-site page", "127.0.0.1:8080", "cross-site", http.StatusForbidden},
	}
	for _, tc := range tests {
		req := httptest.NewRequest("GET", "/api/status", nil)
		req.Host = tc.host
		if tc.fetchSite != "" {
			req.Header.Set("Sec-Fetch-Site", tc.fetchSite)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s: GET with Host %q, Sec-Fetch-Site %q = %d, want %d", tc.name, tc.host, tc.fetchSite, rec.Code, tc.want)
		}
	}
}

// TestAssetsServed walks the embedded page: every file is served, with
// the type its extension calls for.
func TestAssetsServed(t *testing.T) {
	_, _, srv := newTestServer(t)
	var n int
	err := fs.WalkDir(web, "web", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		want, ok := contentTypes[path.Ext(p)]
		if !ok {
			t.Errorf("%s: no content type for its extension; add one to contentTypes", p)
			return nil
		}
		url := strings.TrimPrefix(p, "web")
		if url == "/index.html" {
			url = "/"
		}
		resp, err := http.Get(srv.URL + url)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != want {
			t.Errorf("GET %s = %d %q, want 200 %q", url, resp.StatusCode, resp.Header.Get("Content-Type"), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 3 {
		t.Errorf("%d files embedded, want the page, its script and its style", n)
	}
}

// TestDictionariesMatch keeps the two languages in step: a string in one
// and not the other would show as its key.
func TestDictionariesMatch(t *testing.T) {
	read := func(lang string) map[string]string {
		b, err := fs.ReadFile(web, "web/i18n/"+lang+".json")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("i18n/%s.json: %v", lang, err)
		}
		return m
	}
	vi, en := read("vi"), read("en")
	for k, v := range vi {
		if _, ok := en[k]; !ok {
			t.Errorf("%q is in vi.json, not in en.json", k)
		}
		if strings.TrimSpace(v) == "" {
			t.Errorf("vi.json: %q is empty", k)
		}
	}
	for k, v := range en {
		if _, ok := vi[k]; !ok {
			t.Errorf("%q is in en.json, not in vi.json", k)
		}
		if strings.TrimSpace(v) == "" {
			t.Errorf("en.json: %q is empty", k)
		}
	}
	for _, want := range []string{"Xin chào", "Đã có mặt", "Cuộc họp", "Thư ký", "Kỹ thuật viên", "Mời quét mã QR hoặc liên hệ thư ký"} {
		found := false
		for _, v := range vi {
			found = found || strings.Contains(v, want)
		}
		if !found {
			t.Errorf("vi.json never says %q", want)
		}
	}
}

// TestPageUsesKnownKeys finds every t('key') in the scripts and data-t
// in the page, and wants each in the dictionaries.
func TestPageUsesKnownKeys(t *testing.T) {
	b, err := fs.ReadFile(web, "web/i18n/en.json")
	if err != nil {
		t.Fatal(err)
	}
	var en map[string]string
	if err := json.Unmarshal(b, &en); err != nil {
		t.Fatal(err)
	}
	uses := regexp.MustCompile(`(?:^|[^\w.$])t\('([^']+)'|data-t(?:-placeholder)?="([^"]+)"|data-preset="([^"]+)"`)
	files, _ := fs.Glob(web, "web/*.*")
	var n int
	for _, p := range files {
		src, _ := fs.ReadFile(web, p)
		for _, m := range uses.FindAllStringSubmatch(string(src), -1) {
			key := m[1] + m[2] + m[3]
			n++
			if _, ok := en[key]; !ok {
				t.Errorf("%s uses %q, which the dictionaries lack", p, key)
			}
		}
	}
	if n < 50 {
		t.Errorf("found %d uses of dictionary keys; the pattern no longer matches the page", n)
	}
}

func TestEventsStreamChangesAndPushes(t *testing.T) {
	s, _, srv := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type = %q, want text/event-stream", ct)
	}
	lines := bufio.NewScanner(resp.Body)
	lines.Scan() // "retry: 2000": the stream is registered once this arrives
	lines.Scan() // and the blank line that ends it
	s.Push("greeting", map[string]string{"name": "Nguyễn Văn An", "seat": "A1\nB2"})
	s.Notify()
	want := []string{"event: greeting", `data: {"name":"Nguyễn Văn An","seat":"A1\nB2"}`, "", "event: change", "data: {}", ""}
	var got []string
	for len(got) < len(want) && lines.Scan() {
		got = append(got, lines.Text())
	}
	if !slices.Equal(got, want) {
		t.Errorf("stream after Push and Notify = %q, want %q", got, want)
	}
}

// openStream connects to the event stream and reads up to its first
// event, the retry line: the stream is registered then.
func openStream(t *testing.T, srv *httptest.Server) *bufio.Scanner {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	lines := bufio.NewScanner(resp.Body)
	lines.Scan()
	lines.Scan()
	return lines
}

// TestLatePageGetsTheGreetingsStillShowing: a page that opens just after a
// check-in shows that greeting too, but not one whose time is over.
func TestLatePageGetsTheGreetingsStillShowing(t *testing.T) {
	s, _, srv := newTestServer(t)
	now := time.Now()
	s.now = func() time.Time { return now }
	s.Push("greeting", map[string]string{"id": "a-1"})
	now = now.Add(defaultGreetingHold - time.Second)
	s.Push("greeting", map[string]string{"id": "a-2"})
	now = now.Add(2 * time.Second) // a-1's card has gone, a-2's shows
	lines := openStream(t, srv)
	s.Notify()
	want := []string{"event: greeting", `data: {"id":"a-2"}`, "", "event: change", "data: {}", ""}
	var got []string
	for len(got) < len(want) && lines.Scan() {
		got = append(got, lines.Text())
	}
	if !slices.Equal(got, want) {
		t.Errorf("a page opened %v after two greetings got %q, want %q", defaultGreetingHold+time.Second, got, want)
	}
}

// TestSlowPageDoesNotBlock pushes far more than a stream buffers to a page
// that reads nothing: Push must return at once every time.
func TestSlowPageDoesNotBlock(t *testing.T) {
	s, _, srv := newTestServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	bufio.NewReader(resp.Body).ReadString('\n') // registered; now read no more
	big := strings.Repeat("x", 64<<10)
	start := time.Now()
	for range 4 * streamBuffer { // 16 MiB: more than the socket buffers and the stream hold
		s.Push("faces", big)
		s.Notify()
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("pushing to a page that reads nothing took %v", d)
	}
}

func TestLogin(t *testing.T) {
	s, act, srv := newTestServer(t)
	now := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	// try logs in and says whether a session cookie came back.
	try := func(role, pin string) (bool, loginReply) {
		resp := do(t, srv, "POST", "/api/login", `{"role":"`+role+`","pin":"`+pin+`"}`, nil, "")
		var reply loginReply
		json.NewDecoder(resp.Body).Decode(&reply)
		return slices.ContainsFunc(resp.Cookies(), func(c *http.Cookie) bool { return c.Name == sessionCookie && c.Value != "" }), reply
	}
	if ok, reply := try(RoleSecretary, "1357"); ok || reply.Error != "wrong_pin" || reply.Left != 4 {
		t.Errorf("secretary login with the technician's PIN = %v %+v, want no session, wrong_pin, 4 left", ok, reply)
	}
	if ok, reply := try(RoleSecretary, "2468"); !ok || reply.CSRF == "" {
		t.Errorf("secretary login with her PIN = %v %+v, want a session", ok, reply)
	}
	// A success starts the count again: five more wrong ones lock her out.
	for i := range maxFailures - 1 {
		if ok, reply := try(RoleSecretary, "0000"); ok || reply.Error != "wrong_pin" {
			t.Fatalf("wrong PIN #%d = %v %+v, want wrong_pin", i+1, ok, reply)
		}
	}
	if ok, reply := try(RoleSecretary, "0000"); ok || reply.Error != "locked" || reply.RetryAfter != 60 {
		t.Errorf("fifth wrong PIN = %v %+v, want locked for 60 s", ok, reply)
	}
	now = now.Add(30 * time.Second)
	if ok, reply := try(RoleSecretary, "2468"); ok || reply.Error != "locked" || reply.RetryAfter != 30 {
		t.Errorf("right PIN while locked out = %v %+v, want locked, 30 s to wait", ok, reply)
	}
	if ok, _ := try(RoleTechnician, "1357"); !ok {
		t.Errorf("technician login while the secretary is locked out gave no session")
	}
	now = now.Add(31 * time.Second)
	if ok, _ := try(RoleSecretary, "2468"); !ok {
		t.Errorf("right PIN after the lockout gave no session")
	}
	if ok, reply := try("admin", "2468"); ok || reply.Error != "disabled" {
		t.Errorf("login as an unknown role = %v %+v, want disabled", ok, reply)
	}
	want := []string{"secretary login_failed", "secretary login"}
	for range maxFailures {
		want = append(want, "secretary login_failed")
	}
	want = append(want, "technician login", "secretary login")
	if got := act.recorded(); !slices.Equal(got, want) {
		t.Errorf("actions recorded = %q, want %q", got, want)
	}
}

func TestLoginDisabledWithoutPIN(t *testing.T) {
	srv := httptest.NewServer(NewServer(fixedSource{}, &fakeActions{}, nil, Config{TechnicianPIN: "1357"}))
	defer srv.Close()
	resp := do(t, srv, "POST", "/api/login", `{"role":"secretary","pin":""}`, nil, "")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("secretary login with no secretary PIN configured = %d, want 404", resp.StatusCode)
	}
}

func TestSessionExpiresWhenIdle(t *testing.T) {
	s, _, srv := newTestServer(t)
	now := time.Now()
	s.now = func() time.Time { return now }
	cookie, _ := login(t, srv, RoleSecretary, "2468")
	now = now.Add(sessionIdle - time.Minute)
	if resp := do(t, srv, "GET", "/api/candidates?meeting=m-1&q=an", "", cookie, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("candidates in a live session = %d, want 200", resp.StatusCode)
	}
	now = now.Add(sessionIdle - time.Minute) // the search above kept it alive
	if resp := do(t, srv, "GET", "/api/candidates?meeting=m-1&q=an", "", cookie, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("candidates 14 min after the last use = %d, want 200", resp.StatusCode)
	}
	now = now.Add(sessionIdle + time.Second)
	if resp := do(t, srv, "GET", "/api/candidates?meeting=m-1&q=an", "", cookie, ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("candidates after 15 min idle = %d, want 403", resp.StatusCode)
	}
}

func TestCheckInNeedsSessionCSRFAndSameOrigin(t *testing.T) {
	_, act, srv := newTestServer(t)
	cookie, csrf := login(t, srv, RoleSecretary, "2468")
	techCookie, techCSRF := login(t, srv, RoleTechnician, "1357")
	body := `{"meeting":"m-1","person":"P-an","reason":"Quên điện thoại"}`
	post := func(cookie *http.Cookie, csrf string, header map[string]string) int {
		req, _ := http.NewRequest("POST", srv.URL+"/api/checkin", strings.NewReader(body))
		req.Header.Set("Origin", srv.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		for k, v := range header {
			if v == "" {
				req.Header.Del(k)
			} else {
				req.Header.Set(k, v)
			}
		}
		if cookie != nil {
			req.AddCookie(cookie)
		}
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	tests := []struct {
		name   string
		cookie *http.Cookie
		csrf   string
		header map[string]string
		want   int
	}{
		{"no CSRF token", cookie, "", nil, http.StatusForbidden},
		{"wrong CSRF token", cookie, techCSRF, nil, http.StatusForbidden},
		{"no cookie", nil, csrf, nil, http.StatusForbidden},
		{"technician's session", techCookie, techCSRF, nil, http.StatusForbidden},
		{"cross-origin", cookie, csrf, map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"same-site other port", cookie, csrf, map[string]string{"Origin": "http://127.0.0.1:1", "Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"no origin at all", cookie, csrf, map[string]string{"Origin": "", "Sec-Fetch-Site": ""}, http.StatusForbidden},
		{"cookie and token", cookie, csrf, nil, http.StatusOK},
	}
	for _, tc := range tests {
		if got := post(tc.cookie, tc.csrf, tc.header); got != tc.want {
			t.Errorf("%s: POST /api/checkin = %d, want %d", tc.name, got, tc.want)
		}
	}
	want := []ManualCheckIn{{Meeting: "m-1", Person: "P-an", Reason: "Quên điện thoại", Operator: RoleSecretary}}
	if !slices.Equal(act.checkIns, want) {
		t.Errorf("CheckIn calls = %+v, want %+v", act.checkIns, want)
	}
	if got := act.recorded(); !slices.Contains(got, "secretary checkin") {
		t.Errorf("actions recorded = %q, want a secretary checkin", got)
	}
}

func TestCheckInNeedsReason(t *testing.T) {
	_, act, srv := newTestServer(t)
	cookie, csrf := login(t, srv, RoleSecretary, "2468")
	resp := do(t, srv, "POST", "/api/checkin", `{"meeting":"m-1","person":"P-an","reason":"   "}`, cookie, csrf)
	var reply struct{ Error string }
	json.NewDecoder(resp.Body).Decode(&reply)
	if resp.StatusCode != http.StatusBadRequest || reply.Error != "reason_required" {
		t.Errorf("check-in without a reason = %d %q, want 400 reason_required", resp.StatusCode, reply.Error)
	}
	if len(act.checkIns) != 0 {
		t.Errorf("CheckIn was called: %+v", act.checkIns)
	}
}

func TestCandidates(t *testing.T) {
	_, act, srv := newTestServer(t)
	cookie, _ := login(t, srv, RoleSecretary, "2468")
	resp := do(t, srv, "GET", "/api/candidates?meeting=m-1&q=nguyen", "", cookie, "")
	var got []Candidate
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Name != "Nguyễn Văn An" || !slices.Equal(act.queries, []string{"m-1/nguyen"}) {
		t.Errorf("GET /api/candidates = %+v after queries %q, want Nguyễn Văn An after m-1/nguyen", got, act.queries)
	}
}

func TestAttendanceCSV(t *testing.T) {
	_, act, srv := newTestServer(t)
	cookie, csrf := login(t, srv, RoleSecretary, "2468")
	if resp := do(t, srv, "GET", "/api/attendance.csv?meeting=m-1", "", cookie, ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("export without the CSRF token = %d, want 403", resp.StatusCode)
	}
	resp := do(t, srv, "GET", "/api/attendance.csv?meeting=m-1", "", cookie, csrf)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="attendance-m-1.csv"` || !strings.Contains(string(body), "Nguyễn Văn An") {
		t.Errorf("export = %d %q %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"), body)
	}
	if got := act.recorded(); !slices.Contains(got, "secretary export") {
		t.Errorf("actions recorded = %q, want a secretary export", got)
	}
	if resp := do(t, srv, "GET", "/api/attendance.csv?meeting=nope", "", cookie, csrf); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("export of an unknown meeting = %d, want 422", resp.StatusCode)
	}
}

func TestLogout(t *testing.T) {
	_, act, srv := newTestServer(t)
	cookie, csrf := login(t, srv, RoleSecretary, "2468")
	if resp := do(t, srv, "POST", "/api/logout", "", cookie, csrf); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("logout = %d, want 204", resp.StatusCode)
	}
	if resp := do(t, srv, "GET", "/api/candidates?meeting=m-1", "", cookie, ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("candidates after logout = %d, want 403", resp.StatusCode)
	}
	if got := act.recorded(); !slices.Equal(got, []string{"secretary login", "secretary logout"}) {
		t.Errorf("actions recorded = %q", got)
	}
}

func TestPreview(t *testing.T) {
	_, _, srv := newTestServer(t)
	resp := do(t, srv, "GET", "/api/preview.jpg", "", nil, "")
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" || string(body) != "\xff\xd8jpeg" {
		t.Errorf("GET /api/preview.jpg = %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	starting := httptest.NewServer(NewServer(fixedSource{}, nil, fixedFrame(nil), Config{}))
	defer starting.Close()
	if resp := do(t, starting, "GET", "/api/preview.jpg", "", nil, ""); resp.StatusCode != http.StatusNoContent {
		t.Errorf("GET /api/preview.jpg before the first frame = %d, want 204", resp.StatusCode)
	}
	none := httptest.NewServer(NewServer(fixedSource{}, nil, nil, Config{}))
	defer none.Close()
	if resp := do(t, none, "GET", "/api/preview.jpg", "", nil, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /api/preview.jpg without a camera = %d, want 404", resp.StatusCode)
	}
}

// TestPageWeight keeps the kiosk light: it loads on a small box's browser.
func TestPageWeight(t *testing.T) {
	var total int64
	fs.WalkDir(web, "web", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			info, _ := d.Info()
			total += info.Size()
		}
		return err
	})
	if total > 100<<10 {
		t.Errorf("kiosk/web is %d bytes, want at most 100 KiB", total)
	}
	if testing.Verbose() {
		t.Logf("kiosk/web: %d bytes", total)
	}
}
