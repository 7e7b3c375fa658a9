package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/deploy/city/mqttclient"
)

const cmdHelp = `
Sends a command to one box on roomgate/v1/dev/D/cmd and waits for its
answer on roomgate/v1/dev/D/cmd/result, which it prints as JSON. Exits
non-zero if the box answers not ok or does not answer within -timeout. The
command is signed with -sign-key for that one box and expires after -ttl:
a box that is offline and gets it later refuses it, and answers why.

Commands: open_door (pulse the door relay), resync (resend everything not
yet acknowledged), ping, delete_person (remove a person's face templates
from the box: the city's gallery, people enrolled on the box and a gallery
being received; -args '{"person_id":"P-..."}'; the answer says what was
removed, and sending it again removes nothing more), and for a room with a
conference terminal: dial (join the bridge now: without -args, the bridge
of the meeting in progress or about to start; -meeting M-... that
meeting's, refused if the box's schedule has no such meeting, it is over or
has no bridge; -bridge sip:... [-protocol sip] [-speed 1920] another bridge,
checked as a meeting's bridge is; the same as -args '{"meeting":"M-...",
"dial":"sip:...","protocol":"sip","speed":1920}'), hang_up (end the call the
box made) and call_status (the call as the box sees it). The box never
dials over a call it did not place, and says so. self_test runs the box's
self-test, as roomgate doctor without the checks that need a technician:
the answer counts ok, warnings and failures and names the checks that did
not pass (-timeout 30s leaves it time).

Examples:
  roomgate-city cmd -cert city-ops.pem -key city-ops.key -sign-key keys/city-sign.key -device hq-gate-1 -name ping
  roomgate-city cmd -cert city-ops.pem -key city-ops.key -sign-key keys/city-sign.key -device hq-gate-1 -name delete_person -args '{"person_id":"P-an"}'
  roomgate-city cmd -cert city-ops.pem -key city-ops.key -sign-key keys/city-sign.key -device hq-room-1 -name dial -meeting M-2026-03-02-giao-ban
  roomgate-city cmd -cert city-ops.pem -key city-ops.key -sign-key keys/city-sign.key -device hq-room-1 -name dial -meeting M-2026-03-02-giao-ban -bridge sip:du-phong@bridge.hanoi.gov.vn -protocol sip
`

var errNotOK = errors.New("the box answered not ok")

func (a *app) cmd(path string, args []string) error {
	f := newFlags(path, "-device D -name open_door|resync|ping|delete_person|dial|hang_up|call_status|self_test [-args JSON] [flags]", cmdHelp)
	broker := addBrokerFlags(f, "city-ops")
	device := f.String("device", "", "`D`: the device id, required")
	name := f.String("name", "", "`COMMAND`, required: open_door, resync, ping, delete_person, dial, hang_up, call_status or self_test")
	argsJSON := f.String("args", "", "the command's arguments, a JSON `OBJECT`")
	var dial wire.DialArgs
	f.StringVar(&dial.Meeting, "meeting", "", "dial: the `ID` of the meeting to join (default: the one in progress or about to start)")
	f.StringVar(&dial.Dial, "bridge", "", "dial: join this bridge (`DIAL` string) instead of the meeting's")
	f.StringVar(&dial.Protocol, "protocol", "", "dial: the bridge's `PROTOCOL`, sip, h323 or auto (with -bridge)")
	f.IntVar(&dial.Speed, "speed", 0, "dial: the call rate in `KBITS`/s (with -bridge; default: the terminal's)")
	timeout := f.Duration("timeout", 10*time.Second, "wait for the answer at most `DURATION`")
	ttl := f.Duration("ttl", wire.DefaultCommandLifetime, "the box runs the command only this `DURATION` after it is sent (at most "+wire.MaxCommandLifetime.String()+", a deletion "+wire.MaxDeletionLifetime.String()+")")
	signKey := addSignFlag(f)
	pos, err := a.parse(f, args)
	switch {
	case err != nil:
		return err
	case len(pos) > 0:
		return usageError(f, "unexpected argument %q", pos[0])
	case !wire.ValidName(*device):
		return usageError(f, "-device %q: want a device id", *device)
	case *timeout <= 0:
		return usageError(f, "-timeout must be positive")
	case *ttl < time.Second || *ttl > wire.MaxLifetime(*name):
		return usageError(f, "-ttl %v: want 1s to %v for %s", *ttl, wire.MaxLifetime(*name), *name)
	}
	c := wire.Command{ID: uuid.Must(uuid.NewV7()).String(), Name: *name}
	if dial != (wire.DialArgs{}) {
		switch {
		case *name != wire.CmdDial:
			return usageError(f, "-meeting, -bridge, -protocol and -speed are for -name dial")
		case *argsJSON != "":
			return usageError(f, "give -args or -meeting/-bridge, not both")
		}
		c.Args, _ = json.Marshal(dial) // a struct of strings and an int
	}
	if *argsJSON != "" {
		if !json.Valid([]byte(*argsJSON)) {
			return usageError(f, "-args %q: not JSON", *argsJSON)
		}
		c.Args = json.RawMessage(*argsJSON)
	}
	plain, err := json.Marshal(c)
	if err == nil {
		_, err = wire.DecodeCommand(plain)
	}
	switch {
	case err != nil:
	case c.Name == wire.CmdDeletePerson:
		_, err = wire.DecodeDeletePersonArgs(c.Args)
	case c.Name == wire.CmdDial:
		_, err = wire.DecodeDialArgs(c.Args)
	}
	if err != nil {
		return usageError(f, "%v", err)
	}
	signer, err := loadSigner(f, *signKey)
	if err != nil {
		return err
	}
	payload, err := signer.Command(*device, c, a.now(), *ttl)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	results := make(chan wire.CommandResult, 1)
	onResult := func(m mqttclient.Message) {
		defer m.Ack()
		r, err := wire.DecodeCommandResult(m.Payload)
		if err != nil || r.ID != c.ID {
			return // another command's answer, or junk: not ours to judge
		}
		select {
		case results <- r:
		default:
		}
	}
	// Subscribed before the command goes out, so the answer cannot slip by.
	client, err := broker.connect(ctx, []string{wire.Topic(*device, wire.LeafCmdResult)}, onResult)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer client.Close()
	if err := client.Publish(ctx, wire.Topic(*device, wire.LeafCmd), payload, false); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	select {
	case r := <-results:
		out, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		fmt.Fprintf(a.stdout, "%s\n", out)
		if !r.OK {
			return fmt.Errorf("%s: %s %s: %w: %s", path, *device, *name, errNotOK, r.Error)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: %s did not answer %s %s within %v (a box that gets it after %v refuses it)", path, *device, *name, c.ID, *timeout, *ttl)
	}
}
