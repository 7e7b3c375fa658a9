package kiosk

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"slices"
	"strconv"
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
	lockouts map[string]Lockout
	failures []LoginFailure
	calls    []CallAction
	callErr  error // what ControlCall answers
}

func (f *fakeActions) ControlCall(_ context.Context, a CallAction) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, a)
	return f.callErr
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

func (f *fakeActions) Lockout(_ context.Context, role string) (Lockout, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lockouts[role], nil
}

func (f *fakeActions) LoginFailed(_ context.Context, lf LoginFailure) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lockouts == nil {
		f.lockouts = map[string]Lockout{}
	}
	f.lockouts[lf.Role] = lf.Lockout
	f.failures = append(f.failures, lf)
	f.actions = append(f.actions, Action{Role: lf.Role, Action: "login_failed", At: lf.At})
	return nil
}

func (f *fakeActions) LoggedIn(_ context.Context, a Action) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.lockouts, a.Role)
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

var testConfig = Config{SecretaryPIN: "246810", TechnicianPIN: "135790"}

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

// staffSnapshot holds one of everything only staff may see.
var staffSnapshot = Snapshot{Site: "hq", Gate: "main-gate", Device: "hq-box-7", Version: "v1.2",
	Devices:      []Device{{Name: "front", Kind: "serial", OK: true, Detail: "/dev/ttyUSB0"}},
	Entries:      []Entry{{Granted: false, Reason: "expired", Detail: "exp 2025-03-01", Name: "Lê Thị Hoa", Host: "Phòng Hành chính", PassID: "pass-4711"}},
	Recognitions: []Recognition{{Person: "P-kit", Name: "Kit Harington", Score: 0.61}},
	Meeting: &Board{BoardMeeting: BoardMeeting{ID: "m-1", Title: "Giao ban tuần", Expected: 2, Present: 1}, Invitees: []BoardInvitee{
		{Person: "P-an", Name: "Nguyễn Văn An", Unit: "Sở Tài chính", Role: "Giám đốc", Seat: "A1", Present: true, At: time.Date(2025, 3, 4, 8, 55, 0, 0, time.UTC), Method: "face", Late: true},
		{Person: "P-binh", Name: "Trần Thị Bình", Unit: "Sở Nội vụ", Role: "Phó giám đốc", Seat: "A2"},
	}},
	Meetings: []MeetingSummary{{ID: "m-1", Title: "Giao ban tuần", Expected: 2, Present: 1}},
	Gallery:  GalleryState{People: 3, Model: "dlib-resnet-v1"},
	Link:     &Link{Connected: true, LastError: "broker.city.gov.vn: refused"},
	Call:     &Call{Terminal: "room-poly", Reachable: true, State: CallConnected, Meeting: "m-1", Bridge: "sip:7001*1234@bridge.city.gov.vn", ByBox: true},
}

// TestPublicStatusHoldsNoStaffData: without a session the status is the
// board the room sees, and nothing of the scans, recognitions, invitees'
// details or the box's devices.
func TestPublicStatusHoldsNoStaffData(t *testing.T) {
	srv := httptest.NewServer(NewServer(fixedSource{snap: staffSnapshot}, &fakeActions{}, nil, testConfig))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/status = %d %v", resp.StatusCode, err)
	}
	for _, secret := range []string{"Lê Thị Hoa", "Phòng Hành chính", "pass-4711", "exp 2025", "expired", "P-kit", "Kit Harington", "0.61",
		"P-an", "P-binh", "Sở Tài chính", "Giám đốc", "A1", "Trần Thị Bình", "face", "late", "hq-box-7", "ttyUSB0", "dlib-resnet-v1", "broker", "v1.2", "7001*1234"} {
		if strings.Contains(string(body), secret) {
			t.Errorf("GET /api/status without a session shows %q: %s", secret, body)
		}
	}
	var got PublicStatus
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	want := []Attendee{{Name: "Nguyễn Văn An", At: time.Date(2025, 3, 4, 8, 55, 0, 0, time.UTC)}}
	if got.Site != "hq" || got.Meeting == nil || got.Meeting.Title != "Giao ban tuần" || got.Meeting.Present != 1 || got.Meeting.Expected != 2 ||
		!slices.Equal(got.Meeting.Attendees, want) || len(got.Meetings) != 1 {
		t.Errorf("GET /api/status = %+v, want the board with %+v present", got, want)
	}
	if got.Call == nil || got.Call.State != CallConnected || !got.Call.Reachable {
		t.Errorf("GET /api/status call = %+v, want the bridge connected (without its dial string)", got.Call)
	}
	if wantF := (features{Language: "vi", GreetingMs: defaultGreetingHold.Milliseconds(), Secretary: true, Technician: true}); got.Kiosk != wantF {
		t.Errorf("GET /api/status kiosk = %+v, want %+v (no Preview; the default hold)", got.Kiosk, wantF)
	}
}

// TestStaffStatusNeedsSession: the whole snapshot is for a signed-in
// secretary or technician only.
func TestStaffStatusNeedsSession(t *testing.T) {
	srv := httptest.NewServer(NewServer(fixedSource{snap: staffSnapshot}, &fakeActions{}, nil, testConfig))
	defer srv.Close()
	if resp := do(t, srv, "GET", "/api/staff/status", "", nil, ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET /api/staff/status without a session = %d, want 403", resp.StatusCode)
	}
	forged := &http.Cookie{Name: sessionCookie, Value: strings.Repeat("ab", 32)}
	if resp := do(t, srv, "GET", "/api/staff/status", "", forged, ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET /api/staff/status with a made-up session = %d, want 403", resp.StatusCode)
	}
	for _, c := range []struct{ role, pin string }{{RoleSecretary, testConfig.SecretaryPIN}, {RoleTechnician, testConfig.TechnicianPIN}} {
		cookie, _ := login(t, srv, c.role, c.pin)
		resp := do(t, srv, "GET", "/api/staff/status", "", cookie, "")
		var got struct {
			Snapshot
			Kiosk features `json:"kiosk"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /api/staff/status as %s = %d %v", c.role, resp.StatusCode, err)
		}
		if len(got.Entries) != 1 || got.Entries[0].PassID != "pass-4711" || len(got.Recognitions) != 1 || got.Device != "hq-box-7" ||
			got.Meeting == nil || len(got.Meeting.Invitees) != 2 || got.Meeting.Invitees[1].Seat != "A2" || !got.Kiosk.Technician {
			t.Errorf("GET /api/staff/status as %s = %+v, want the whole snapshot", c.role, got)
		}
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
	local := NewServer(fixedSource{}, nil, nil, Config{})
	remote := NewServer(fixedSource{}, nil, nil, Config{AllowRemote: true})
	tests := []struct {
		name             string
		h                *Server
		peer, host, site string
		want             int
	}{
		{"loopback", local, "127.0.0.1:50000", "127.0.0.1:8080", "", http.StatusOK},
		{"localhost", local, "127.0.0.1:50000", "localhost:8080", "same-origin", http.StatusOK},
		{"ipv6 loopback", local, "[::1]:50000", "[::1]:8080", "", http.StatusOK},
		{"dns rebinding", local, "127.0.0.1:50000", "evil.example:8080", "", http.StatusForbidden},
		{"lan address", local, "127.0.0.1:50000", "192.168.1.20:8080", "", http.StatusForbidden},
		{"cross-site page", local, "127.0.0.1:50000", "127.0.0.1:8080", "cross-site", http.StatusForbidden},
		// The Host header is the client's to write: the peer decides.
		{"lan peer saying localhost", local, "192.168.1.50:50000", "localhost:8080", "", http.StatusForbidden},
		{"lan peer, ipv6", local, "[fe80::1%eth0]:50000", "[::1]:8080", "", http.StatusForbidden},
		{"no peer address", local, "", "localhost:8080", "", http.StatusForbidden},
		{"lan peer, remote allowed", remote, "192.168.1.50:50000", "192.168.1.20:8080", "", http.StatusOK},
		{"lan peer, remote allowed, rebinding", remote, "192.168.1.50:50000", "evil.example:8080", "", http.StatusForbidden},
		{"lan peer, remote allowed, cross-site", remote, "192.168.1.50:50000", "192.168.1.20:8080", "cross-site", http.StatusForbidden},
	}
	for _, tc := range tests {
		req := httptest.NewRequest("GET", "/api/status", nil)
		req.RemoteAddr, req.Host = tc.peer, tc.host
		if tc.site != "" {
			req.Header.Set("Sec-Fetch-Site", tc.site)
		}
		rec := httptest.NewRecorder()
		tc.h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s: GET from %q with Host %q, Sec-Fetch-Site %q = %d, want %d", tc.name, tc.peer, tc.host, tc.site, rec.Code, tc.want)
		}
	}
}

// TestRemotePeerRefusedOnTheWire serves on every address and connects
// through one of this machine's non-loopback addresses, saying Host:
// localhost as a LAN attacker would.
func TestRemotePeerRefusedOnTheWire(t *testing.T) {
	var lan net.IP
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			lan = n.IP
			break
		}
	}
	if lan == nil {
		t.Skip("this machine has no non-loopback IPv4 address")
	}
	for _, c := range []struct {
		allow bool
		want  int
	}{{false, http.StatusForbidden}, {true, http.StatusOK}} {
		ln, err := net.Listen("tcp", "0.0.0.0:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := NewServer(fixedSource{}, &fakeActions{}, nil, Config{AllowRemote: c.allow}).HTTPServer()
		go srv.Serve(ln)
		port := ln.Addr().(*net.TCPAddr).Port
		req, _ := http.NewRequest("GET", fmt.Sprintf("http://%s/api/status", net.JoinHostPort(lan.String(), strconv.Itoa(port))), nil)
		if !c.allow {
			req.Host = "localhost"
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		srv.Close()
		if resp.StatusCode != c.want {
			t.Errorf("GET /api/status from %s (Host %q), allow_remote %v = %d, want %d", lan, req.Host, c.allow, resp.StatusCode, c.want)
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
// that reads nothing: Push must never wait for the page. A Push that did
// would hang here for good once the socket's buffers fill, so the check is
// that the pushes end at all (the minute is a hang detector, not a speed
// target: encoding 16 MiB under the race detector takes seconds).
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
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 4 * streamBuffer { // 16 MiB: more than the socket buffers and the stream hold
			s.Push("faces", big)
			s.Notify()
		}
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("Push is waiting for a page that reads nothing")
	}
}

// TestStreamsAreCapped: the 17th page to stream at once is told to come
// back later, and a slot freed is taken again.
func TestStreamsAreCapped(t *testing.T) {
	s, _, srv := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var bodies []io.Closer
	open := func() *http.Response {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/events", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		if resp.StatusCode == http.StatusOK {
			bufio.NewReader(resp.Body).ReadString('\n') // registered
		}
		return resp
	}
	for i := range maxStreams {
		resp := open()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("stream %d = %d, want 200", i+1, resp.StatusCode)
		}
		bodies = append(bodies, resp.Body)
	}
	if resp := open(); resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("stream %d = %d (Retry-After %q), want 503 with Retry-After", maxStreams+1, resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	bodies[0].Close()
	deadline := time.Now().Add(3 * time.Second)
	for {
		s.Notify() // a write to the closed stream ends it
		s.mu.Lock()
		n := len(s.streams)
		s.mu.Unlock()
		if n < maxStreams {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a closed stream still holds its slot after 3 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if resp := open(); resp.StatusCode != http.StatusOK {
		t.Errorf("stream after one closed = %d, want 200", resp.StatusCode)
	}
}

// TestStreamOutlivesWriteTimeout: the server's WriteTimeout bounds plain
// requests, not an event stream that keeps being written.
func TestStreamOutlivesWriteTimeout(t *testing.T) {
	s := NewServer(fixedSource{}, &fakeActions{}, nil, testConfig)
	srv := s.HTTPServer()
	srv.WriteTimeout = 200 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	if srv.ReadTimeout <= 0 || srv.IdleTimeout <= 0 || srv.ReadHeaderTimeout <= 0 || srv.MaxHeaderBytes <= 0 {
		t.Errorf("HTTPServer() = %+v, want read, header, idle timeouts and a header limit", srv)
	}
	resp, err := http.Get("http://" + ln.Addr().String() + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	lines.Scan()
	lines.Scan()
	time.Sleep(500 * time.Millisecond)
	s.Push("gate", map[string]bool{"granted": true})
	if !lines.Scan() || lines.Text() != "event: gate" {
		t.Errorf("stream read after the write timeout = %q %v, want the pushed event", lines.Text(), lines.Err())
	}
}

func TestLogin(t *testing.T) {
	s, act, srv := newTestServer(t)
	now := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	// try logs in and says whether a session cookie came back.
	try := func(srv *httptest.Server, role, pin string) (bool, loginReply) {
		resp := do(t, srv, "POST", "/api/login", `{"role":"`+role+`","pin":"`+pin+`"}`, nil, "")
		var reply loginReply
		json.NewDecoder(resp.Body).Decode(&reply)
		return slices.ContainsFunc(resp.Cookies(), func(c *http.Cookie) bool { return c.Name == sessionCookie && c.Value != "" }), reply
	}
	if ok, reply := try(srv, RoleSecretary, "135790"); ok || reply.Error != "wrong_pin" || reply.Left != 4 {
		t.Errorf("secretary login with the technician's PIN = %v %+v, want no session, wrong_pin, 4 left", ok, reply)
	}
	if ok, reply := try(srv, RoleSecretary, "246810"); !ok || reply.CSRF == "" {
		t.Errorf("secretary login with her PIN = %v %+v, want a session", ok, reply)
	}
	// A success starts the count again: five more wrong ones lock her out.
	for i := range maxFailures - 1 {
		if ok, reply := try(srv, RoleSecretary, "000000"); ok || reply.Error != "wrong_pin" {
			t.Fatalf("wrong PIN #%d = %v %+v, want wrong_pin", i+1, ok, reply)
		}
	}
	if ok, reply := try(srv, RoleSecretary, "000000"); ok || reply.Error != "locked" || reply.RetryAfter != 60 {
		t.Errorf("fifth wrong PIN = %v %+v, want locked for 60 s", ok, reply)
	}
	now = now.Add(30 * time.Second)
	if ok, reply := try(srv, RoleSecretary, "246810"); ok || reply.Error != "locked" || reply.RetryAfter != 30 {
		t.Errorf("right PIN while locked out = %v %+v, want locked, 30 s to wait", ok, reply)
	}
	if ok, _ := try(srv, RoleTechnician, "135790"); !ok {
		t.Errorf("technician login while the secretary is locked out gave no session")
	}
	// Each further wrong PIN locks her out for longer, and a restart (a new
	// server on the same kept state) does not forget it.
	for _, wait := range []time.Duration{5 * time.Minute, 15 * time.Minute, 60 * time.Minute, 60 * time.Minute} {
		now = now.Add(time.Hour + time.Second)
		if ok, reply := try(srv, RoleSecretary, "999999"); ok || reply.Error != "locked" || reply.RetryAfter != int(wait.Seconds()) {
			t.Errorf("wrong PIN after a lockout = %v %+v, want locked for %v", ok, reply, wait)
		}
		restarted := NewServer(fixedSource{}, act, nil, testConfig)
		restarted.now = s.now
		again := httptest.NewServer(restarted)
		ok, reply := try(again, RoleSecretary, "246810")
		again.Close()
		if ok || reply.Error != "locked" || reply.RetryAfter != int(wait.Seconds()) {
			t.Errorf("right PIN on a restarted kiosk within the lockout = %v %+v, want locked for %v", ok, reply, wait)
		}
	}
	now = now.Add(time.Hour + time.Second)
	if ok, _ := try(srv, RoleSecretary, "246810"); !ok {
		t.Errorf("right PIN after the lockout gave no session")
	}
	// The success cleared the escalation: one wrong PIN is one wrong PIN.
	if ok, reply := try(srv, RoleSecretary, "000000"); ok || reply.Error != "wrong_pin" || reply.Left != 4 {
		t.Errorf("wrong PIN after a success = %v %+v, want wrong_pin, 4 left", ok, reply)
	}
	if ok, reply := try(srv, "admin", "246810"); ok || reply.Error != "disabled" {
		t.Errorf("login as an unknown role = %v %+v, want disabled", ok, reply)
	}
	want := []string{"secretary login_failed", "secretary login"}
	for range maxFailures {
		want = append(want, "secretary login_failed")
	}
	want = append(want, "technician login")
	for range 4 {
		want = append(want, "secretary login_failed")
	}
	want = append(want, "secretary login", "secretary login_failed")
	if got := act.recorded(); !slices.Equal(got, want) {
		t.Errorf("actions recorded = %q, want %q", got, want)
	}
	// Every wrong PIN went to Actions with its count and lockout.
	if n := len(act.failures); n != 11 {
		t.Fatalf("%d login failures kept, want 11", n)
	}
	if f := act.failures[5]; f.Role != RoleSecretary || f.Lockout.Failures != 5 || !f.Lockout.Until.Equal(f.At.Add(time.Minute)) {
		t.Errorf("fifth wrong PIN in a row kept as %+v, want 5 failures, locked for a minute", f)
	}
}

// brokenLockouts cannot read the kept lockouts (a store that failed).
type brokenLockouts struct{ *fakeActions }

func (brokenLockouts) Lockout(context.Context, string) (Lockout, error) {
	return Lockout{}, errors.New("store: disk I/O error")
}

// TestLoginNeedsTheLockout: a lockout that cannot be read lets no PIN
// through, not even the right one.
func TestLoginNeedsTheLockout(t *testing.T) {
	srv := httptest.NewServer(NewServer(fixedSource{}, brokenLockouts{&fakeActions{}}, nil, testConfig))
	defer srv.Close()
	resp := do(t, srv, "POST", "/api/login", `{"role":"secretary","pin":"246810"}`, nil, "")
	if resp.StatusCode != http.StatusInternalServerError || len(resp.Cookies()) != 0 {
		t.Errorf("login with an unreadable lockout = %d with cookies %v, want 500 and no session", resp.StatusCode, resp.Cookies())
	}
}

func TestLoginDisabledWithoutPIN(t *testing.T) {
	srv := httptest.NewServer(NewServer(fixedSource{}, &fakeActions{}, nil, Config{TechnicianPIN: "135790"}))
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
	cookie, _ := login(t, srv, RoleSecretary, "246810")
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
	cookie, csrf := login(t, srv, RoleSecretary, "246810")
	techCookie, techCSRF := login(t, srv, RoleTechnician, "135790")
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
	cookie, csrf := login(t, srv, RoleSecretary, "246810")
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
	cookie, _ := login(t, srv, RoleSecretary, "246810")
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
	cookie, csrf := login(t, srv, RoleSecretary, "246810")
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
	cookie, csrf := login(t, srv, RoleSecretary, "246810")
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

// TestControlCall: only a signed-in secretary with the CSRF token drives
// the terminal, the action is checked, and a refusal comes back in words.
func TestControlCall(t *testing.T) {
	_, act, srv := newTestServer(t)
	cookie, csrf := login(t, srv, RoleSecretary, "246810")
	techCookie, techCSRF := login(t, srv, RoleTechnician, "135790")
	tests := []struct {
		name   string
		cookie *http.Cookie
		csrf   string
		body   string
		want   int
	}{
		{"no session", nil, "", `{"action":"dial"}`, http.StatusForbidden},
		{"no CSRF token", cookie, "", `{"action":"dial"}`, http.StatusForbidden},
		{"technician", techCookie, techCSRF, `{"action":"dial"}`, http.StatusForbidden},
		{"unknown action", cookie, csrf, `{"action":"reboot"}`, http.StatusBadRequest},
		{"not JSON", cookie, csrf, `dial`, http.StatusBadRequest},
		{"dial", cookie, csrf, `{"action":"dial"}`, http.StatusOK},
		{"hang up", cookie, csrf, `{"action":"hang_up"}`, http.StatusOK},
		{"redial", cookie, csrf, `{"action":"redial"}`, http.StatusOK},
	}
	for _, tc := range tests {
		if got := do(t, srv, "POST", "/api/call", tc.body, tc.cookie, tc.csrf).StatusCode; got != tc.want {
			t.Errorf("%s: POST /api/call %s = %d, want %d", tc.name, tc.body, got, tc.want)
		}
	}
	if want := []CallAction{CallNow, CallHangUp, CallRedial}; !slices.Equal(act.calls, want) {
		t.Errorf("ControlCall calls = %q, want %q", act.calls, want)
	}
	act.callErr = errors.New("the call on the terminal was not placed by the box")
	resp := do(t, srv, "POST", "/api/call", `{"action":"hang_up"}`, cookie, csrf)
	var reply struct{ Error, Message string }
	json.NewDecoder(resp.Body).Decode(&reply)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(reply.Message, "not placed by the box") {
		t.Errorf("refused hang-up = %d %+v, want 422 with the reason", resp.StatusCode, reply)
	}
	// A refusal the room names gets a word the page says in its language.
	act.callErr = &CallRefusedError{Reason: "in_call", Err: errors.New("calls: the room is already in a call")}
	resp = do(t, srv, "POST", "/api/call", `{"action":"dial"}`, cookie, csrf)
	reply.Error = ""
	json.NewDecoder(resp.Body).Decode(&reply)
	if resp.StatusCode != http.StatusUnprocessableEntity || reply.Error != "call_in_call" {
		t.Errorf("refused dial = %d %+v, want 422 call_in_call", resp.StatusCode, reply)
	}
	for _, lang := range []string{"vi", "en"} {
		b, err := fs.ReadFile(web, "web/i18n/"+lang+".json")
		if err != nil || !strings.Contains(string(b), `"sec.call.refused.in_call"`) {
			t.Errorf("i18n/%s.json has no words for the in_call refusal (%v)", lang, err)
		}
	}
	if got := act.recorded(); !slices.Contains(got, "secretary call") || !slices.Contains(got, "secretary call_failed") {
		t.Errorf("actions recorded = %q, want the calls and the refusal kept", got)
	}
}
