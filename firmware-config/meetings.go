package config

import (
	"fmt"
	"net"
	"time"
	_ "time/tzdata" // a box may lack the system's zoneinfo; meetings.time_zone must load anyway
)

// Location is meetings.time_zone loaded; Parse has checked it.
func (m Meetings) Location() *time.Location {
	l, err := time.LoadLocation(m.TimeZone)
	if err != nil {
		return time.Local
	}
	return l
}

// meetings.file is not checked here: it may be written after the config
// (the demo does), and the agent reports a missing or broken one itself.
func (c *Config) checkMeetingsAndKiosk(r *report) {
	if _, err := time.LoadLocation(c.Meetings.TimeZone); err != nil {
		r.add("meetings.time_zone", "%s is not a time zone: want an IANA name like Asia/Ho_Chi_Minh", quote(c.Meetings.TimeZone))
	}
	if k := c.Kiosk; k.SecretaryPIN != "" && k.SecretaryPIN == k.TechnicianPIN {
		r.add("kiosk.technician_pin", "the same as kiosk.secretary_pin: each view needs its own PIN")
	}
}

// RemoteKiosk reports whether the kiosk serves other machines: only when
// http.listen is not a loopback address and kiosk.allow_remote says so.
func (c *Config) RemoteKiosk() bool {
	return c.Kiosk.AllowRemote && c.HTTP.Listen != "" && !loopbackListen(c.HTTP.Listen)
}

// loopbackListen reports whether a listen address reaches this machine
// only. A bare port (":8080") or 0.0.0.0 listens everywhere.
func loopbackListen(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Warnings are settings that are allowed but weaken the box, as
// "field: reason" lines for `roomgate config validate` and the agent's log.
func (c *Config) Warnings() []string {
	var out []string
	switch {
	case c.RemoteKiosk():
		out = append(out, fmt.Sprintf("kiosk.allow_remote: the kiosk on %s answers other machines: anyone on the network can read the board and try the PINs", c.HTTP.Listen))
	case c.Kiosk.AllowRemote:
		out = append(out, fmt.Sprintf("kiosk.allow_remote: has no effect: http.listen %q is loopback only", c.HTTP.Listen))
	case c.HTTP.Listen != "" && !loopbackListen(c.HTTP.Listen):
		out = append(out, fmt.Sprintf("http.listen: %s is not loopback, but requests from other machines are refused without kiosk.allow_remote: true", c.HTTP.Listen))
	}
	if l := c.Metrics.Listen; l != "" && !loopbackListen(l) {
		out = append(out, fmt.Sprintf("metrics.listen: %s answers other machines without a login: open it to the city's Prometheus only (firewall, management network)", l))
	}
	for _, w := range []string{c.Vision.ResearchModel(), c.Vision.VoteWithoutFit()} {
		if w != "" {
			out = append(out, w)
		}
	}
	return append(out, c.terminalWarnings()...)
}
