package kiosk

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type fixedSource struct {
	snap Snapshot
	err  error
}

func (f fixedSource) Snapshot(context.Context) (Snapshot, error) { return f.snap, f.err }

func TestStatusJSON(t *testing.T) {
	want := Snapshot{Site: "hq", Gate: "main-gate", Entries: []Entry{{Granted: false, Reason: "expired", Name: "Nguyễn Văn An"}}}
	srv := httptest.NewServer(NewServer(fixedSource{snap: want}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got Snapshot
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Site != "hq" || len(got.Entries) != 1 || got.Entries[0].Reason != "expired" || got.Entries[0].Name != "Nguyễn Văn An" {
		t.Errorf("GET /api/status = %+v, want %+v", got, want)
	}
}

func TestStatusError(t *testing.T) {
	srv := httptest.NewServer(NewServer(fixedSource{err: errors.New("store: disk I/O error")}))
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
	h := NewServer(fixedSource{})
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

func TestPageIsEmbedded(t *testing.T) {
	srv := httptest.NewServer(NewServer(fixedSource{}))
	defer srv.Close()
	for _, path := range []string{"/", "/status.js", "/status.css"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", path, resp.StatusCode)
		}
	}
}

func TestEventsStreamChanges(t *testing.T) {
	s := NewServer(fixedSource{})
	srv := httptest.NewServer(s)
	defer srv.Close()
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
	go func() {
		for range 50 {
			s.Notify()
			time.Sleep(20 * time.Millisecond)
		}
	}()
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "event: change") {
			return
		}
	}
	t.Fatalf("no change event on the stream: %v", lines.Err())
}
