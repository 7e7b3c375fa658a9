package redact

import (
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"rtsp://admin:s3cret@10.0.0.7:554/stream1", "rtsp://xxxxx@10.0.0.7:554/stream1"},
		{"rtsp://admin@cam/live", "rtsp://xxxxx@cam/live"},
		// Characters a URL parser stops at or takes for the path.
		{"rtsp://admin:p/a#s?s@cam/live", "rtsp://xxxxx@cam/live"},
		{"rtsp://admin:p@ss@cam/live", "rtsp://xxxxx@cam/live"},
		// Inside an error, quoted, and twice.
		{`open "rtsps://u:pw@cam:322/s": connection refused`, `open "rtsps://xxxxx@cam:322/s": connection refused`},
		{"rtsp://a:b@x/1 and rtsp://c:d@y/2", "rtsp://xxxxx@x/1 and rtsp://xxxxx@y/2"},
		// Nothing to hide.
		{"rtsp://cam:554/stream1", "rtsp://cam:554/stream1"},
		{"/dev/video0", "/dev/video0"},
		{"mail me@example.org", "mail me@example.org"},
		{"", ""},
		{"://@", "://xxxxx@"},
	} {
		got := URL(tc.in)
		if got != tc.want {
			t.Errorf("URL(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if strings.Contains(got, "s3cret") || strings.Contains(got, "pw@") {
			t.Errorf("URL(%q) = %q still holds the password", tc.in, got)
		}
	}
}
