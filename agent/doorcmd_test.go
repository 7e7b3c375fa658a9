package agent

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/wire"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/internal/mqtttest"
	"github.com/roomgate/roomgate/internal/socat"
)

// TestLateDoorCommandDoesNotOpen: an open_door sent while the box is
// offline reaches it on reconnect (its broker session is persistent) after
// the command expired: the box answers why and the relay stays still,
// while a ping sent at the same time, still valid, runs.
func TestLateDoorCommandDoesNotOpen(t *testing.T) {
	c := &city{broker: mqtttest.Start(t)}
	o := startOps(t, c.broker)
	dir := t.TempDir()
	link := socat.Pair(t, dir)
	cfgPath := c.boxConfig(t, dir, link.Device, newIssuer(t))
	ra := startAgent(t, cfgPath)
	o.waitState(t, "the box online", func(st wire.State) bool { return st.Online && st.Link.Connected })
	ra.shutdown(t)
	o.waitState(t, "the box offline", func(st wire.State) bool { return !st.Online })

	door, err := cityOps.Command("test-box", wire.Command{ID: "c-late-door", Name: wire.CmdOpenDoor}, time.Now(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	o.publishRaw(t, wire.LeafCmd, false, door)
	o.publish(t, wire.LeafCmd, false, wire.Command{ID: "c-late-ping", Name: wire.CmdPing})
	time.Sleep(3 * time.Second) // past the door command's exp

	ra = startAgent(t, cfgPath)
	if r := o.result(t, "c-late-door"); r.OK || !strings.Contains(r.Error, "expired") {
		t.Errorf("open_door delivered after its expiry = %+v, want refused as expired", r)
	}
	if r := o.result(t, "c-late-ping"); !r.OK {
		t.Errorf("ping delivered late but within its lifetime = %+v, want ok", r)
	}
	time.Sleep(300 * time.Millisecond)
	if n := relayPulses(ra); n != 0 {
		t.Errorf("the relay pulsed %d times for an expired open_door, want 0", n)
	}
	if !strings.Contains(ra.logBuf.String(), "expired") {
		t.Error("the refusal of the expired open_door is not logged")
	}
}

// TestDoorCommandRunsOnceAcrossRestart: an open_door delivered again after
// the agent restarted is answered as the first time and does not pulse.
func TestDoorCommandRunsOnceAcrossRestart(t *testing.T) {
	c := &city{broker: mqtttest.Start(t)}
	o := startOps(t, c.broker)
	dir := t.TempDir()
	link := socat.Pair(t, dir)
	cfgPath := c.boxConfig(t, dir, link.Device, newIssuer(t))
	ra := startAgent(t, cfgPath)
	o.waitState(t, "the box online", func(st wire.State) bool { return st.Online && st.Link.Connected })

	door, err := cityOps.Command("test-box", wire.Command{ID: "c-door-once", Name: wire.CmdOpenDoor}, time.Now(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	o.publishRaw(t, wire.LeafCmd, false, door)
	if r := o.result(t, "c-door-once"); !r.OK {
		t.Fatalf("open_door = %+v, want ok", r)
	}
	if n := relayPulses(ra); n != 1 {
		t.Fatalf("the relay pulsed %d times, want 1", n)
	}
	ra.shutdown(t)

	ra = startAgent(t, cfgPath)
	o.waitState(t, "the box online again", func(st wire.State) bool { return st.Online && st.Link.Connected })
	o.publishRaw(t, wire.LeafCmd, false, door)
	if r := o.result(t, "c-door-once"); !r.OK {
		t.Errorf("open_door redelivered after a restart = %+v, want the first answer (ok)", r)
	}
	time.Sleep(300 * time.Millisecond)
	if n := relayPulses(ra); n != 0 {
		t.Errorf("the relay pulsed %d times after the restart, want 0", n)
	}
}

// unsyncedClock is a box clock that has not synced since boot.
type unsyncedClock struct{}

func (unsyncedClock) Synced() bool   { return false }
func (unsyncedClock) String() string { return "test" }

// TestOpenDoorRefusedOnUnsyncedClock: with policy.unsynced_clock: deny (the
// default), a box whose clock cannot be trusted cannot judge a command's
// expiry, so it does not open the door for the city.
func TestOpenDoorRefusedOnUnsyncedClock(t *testing.T) {
	s := &System{cfg: &config.Config{Policy: config.Policy{UnsyncedClock: "deny"}}, clk: unsyncedClock{}}
	r := downlink{s}.Command(context.Background(), wire.Command{ID: "c1", Name: wire.CmdOpenDoor})
	if r.OK || !strings.Contains(r.Error, "clock not synchronised") {
		t.Errorf("open_door on an unsynced clock = %+v, want refused", r)
	}
}
