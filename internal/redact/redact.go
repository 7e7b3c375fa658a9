// Package redact removes secrets from text that goes into logs, errors and
// status pages: a camera's rtsp://user:password@host URL must never reach a
// log line, an error or the technician's view.
package redact

import "strings"

// Hidden replaces what a URL's user information said.
const Hidden = "xxxxx"

// URL returns s with the user information (user:password@) of every URL in
// it replaced by Hidden. It does not parse the URL: a password may hold
// characters ('/', '#', '?') that make a URL parser give up or split it
// elsewhere, so everything between "://" and the last '@' of the URL (up to
// the next space or quote) is hidden. A '@' in a URL's path hides more than
// needed, never less.
func URL(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "://")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i+3])
		s = s[i+3:]
		end := strings.IndexAny(s, " \t\r\n\"'`")
		if end < 0 {
			end = len(s)
		}
		if at := strings.LastIndexByte(s[:end], '@'); at >= 0 {
			b.WriteString(Hidden)
			s = s[at:]
		}
	}
}
