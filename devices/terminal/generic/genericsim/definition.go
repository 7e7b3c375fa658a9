package genericsim

import "github.com/roomgate/roomgate/devices/terminal/generic"

// Definition is the VCT-100's protocol for package generic.
func Definition() generic.Definition {
	return generic.Definition{
		Wake:         "PWR ON",
		Dial:         "DIAL {{protocol}} {{speed}} {{number}}",
		HangUp:       "HANGUP ALL",
		Status:       "STATUS",
		Start:        []string{"EVT ON"},
		DefaultSpeed: 1024,
		Protocols:    generic.Protocols{SIP: "SIP", H323: "H323", Auto: "AUTO"},
		Login:        generic.Login{Prompt: `^Password:`},
		Replies: generic.Replies{
			OK:        `^OK$`,
			Error:     `^ERR (.+)$`,
			StatusEnd: `^END$`,
			Restart:   `^VCT-100 READY`,
		},
		Calls: []generic.Rule{
			{Match: `^(?:EVT )?CALL (?P<id>[0-9]{1,6}) RINGING (?P<remote>\S+)$`, State: "dialling"},
			{Match: `^(?:EVT )?CALL (?P<id>[0-9]{1,6}) INCOMING (?P<remote>\S+)$`, State: "dialling", Incoming: true},
			{Match: `^(?:EVT )?CALL (?P<id>[0-9]{1,6}) UP (?P<remote>\S+)$`, State: "connected"},
			{Match: `^EVT CALL (?P<id>[0-9]{1,6}) FAIL (?P<reason>.+)$`, State: "failed"},
			{Match: `^EVT CALL (?P<id>[0-9]{1,6}) DOWN (?P<reason>.+)$`, State: "ended"},
		},
		Ignore: []string{`^\(c\) VCT `},
	}
}
