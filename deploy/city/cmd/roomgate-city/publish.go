package main

import (
	"fmt"
	"strings"

	"github.com/roomgate/roomgate/agent/wire"
)

var publishCommands = []command{
	{"meetings", "send a room's meetings and invitees to boxes", (*app).publishMeetings},
	{"gallery", "compute face templates from photos and send them to boxes", (*app).publishGallery},
	{"config", "send a box its config file, signed", (*app).publishConfig},
}

// deviceList is a -device flag that may be repeated and takes comma lists.
type deviceList []string

func (d *deviceList) String() string { return strings.Join(*d, ",") }

func (d *deviceList) Set(v string) error {
	for _, id := range list(v) {
		if !wire.ValidName(id) {
			return fmt.Errorf("%q is not a device id", id)
		}
		*d = append(*d, id)
	}
	return nil
}
