package config

import (
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
