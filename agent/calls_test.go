package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/internal/socat"
	"github.com/roomgate/roomgate/kiosk"
)

// startRoom runs an agent whose room has a simulated Poly and a meeting
// now on the bridge dial.
func startRoom(t *testing.T, dial string) *runningAgent {
	t.Helper()
	dir := t.TempDir()
	path := writeConfig(t, dir, socat.Pair(t, dir).Device, "fail-secure", newIssuer(t))
	addRoom(t, path, dial, "{name: room-poly, kind: poly, sim: true}")
	return startAgent(t, path)
}

// addRoom gives the config at path a meeting "m-1" on the bridge dial,
// starting in a minute (so within join_before) and ending in an hour, and
// the terminal (a YAML flow mapping).
func addRoom(t testing.TB, path, dial, terminal string) {
	t.Helper()
	now := time.Now()
	ts := func(d time.Duration) string { return now.Add(d).UTC().Format(time.RFC3339) }
	schedule := fmt.Sprintf(`{"version": 1, "meetings": [{"id": "m-1", "title": "Giao ban", "room": "P1",
		"start": %q, "end": %q, "checkin_opens": %q, "checkin_closes": %q, "invitees": [],
		"bridge": {"dial": %q, "protocol": "sip"}}]}`, ts(time.Minute), ts(time.Hour), ts(-30*time.Minute), ts(30*time.Minute), dial)
	if err := os.WriteFile(filepath.Join(filepath.Dir(path), "meetings.json"), []byte(schedule), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "meetings: {file: meetings.json}\nterminal: %s\n", terminal); err != nil {
		t.Fatal(err)
	}
}

// waitCall polls the staff status until the call is in state.
func (ra *runningAgent) waitCall(t *testing.T, state string) kiosk.Snapshot {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		snap := ra.status(t)
		if snap.Call != nil && snap.Call.State == state {
			return snap
		}
		if time.Now().After(deadline) {
			t.Fatalf("call = %+v, want %s\n%s", snap.Call, state, ra.logBuf)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRoomJoinsItsBridge: a meeting starting within join_before is
// dialled on the room's terminal by itself; the call shows on the kiosk
// with the terminal's health, and each change is a record for the city.
func TestRoomJoinsItsBridge(t *testing.T) {
	ra := startRoom(t, "bridge-7@city.example")
	snap := ra.waitCall(t, kiosk.CallConnected)
	if c := snap.Call; c.Meeting != "m-1" || c.Bridge != "bridge-7@city.example" || !c.ByBox || !c.Reachable {
		t.Errorf("call = %+v, want the box's call to m-1's bridge", c)
	}
	i := slices.IndexFunc(snap.Devices, func(d kiosk.Device) bool { return d.Name == "room-poly" })
	if i < 0 || !snap.Devices[i].OK || snap.Devices[i].Kind != "terminal/poly" {
		t.Errorf("devices = %+v, want the terminal healthy", snap.Devices)
	}
	// dialling and connected, each with its outbox row.
	if snap.Outbox.Pending < 2 {
		t.Errorf("outbox pending = %d, want the dialling and connected records", snap.Outbox.Pending)
	}
}

// TestRefusedBridgeKeepsTheTerminalsWords: a busy bridge fails with the
// terminal's reason, and the box keeps trying.
func TestRefusedBridgeKeepsTheTerminalsWords(t *testing.T) {
	ra := startRoom(t, "busy-bridge@city.example")
	snap := ra.waitCall(t, kiosk.CallFailed)
	if c := snap.Call; !strings.Contains(c.Reason, "busy") || !c.Retrying {
		t.Errorf("call = %+v, want failed with the terminal's word busy, retrying", c)
	}
}
