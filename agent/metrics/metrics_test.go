package metrics

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/citylink"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/internal/golist"
	"github.com/roomgate/roomgate/internal/metricstest"
)

// Codes outside the fixed sets count as "other": a label never takes a
// value a caller made up, such as a name.
func TestLabelsStayInTheirSets(t *testing.T) {
	m := New(Box{Device: "box-1"}, Sources{Camera: func() (int64, int64) { return 10, 2 }, Terminal: true})
	m.Decided(false, "wrong_gate", "pass", 30*time.Millisecond)
	m.Decided(false, "Nguyễn Văn An", "pass", time.Millisecond)
	m.Decided(true, "", "cccd", time.Millisecond)
	m.FaceDecided(OutcomeRecognised, 900*time.Millisecond)
	m.FaceDecided("too_dark", time.Second)
	m.FaceDecided("P-0042", time.Second)
	m.CallChanged(wire.CallDialling)
	m.CallChanged(wire.CallFailed)
	m.CallChanged("bridge 123@city")

	f := metricstest.Gather(t, m.Gatherer())
	for _, tt := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"roomgate_gate_decisions_total", []string{"result=denied", "reason=wrong_gate"}, 1},
		{"roomgate_gate_decisions_total", []string{"result=denied", "reason=other"}, 1},
		{"roomgate_gate_decisions_total", []string{"result=granted", "reason=none"}, 1},
		{"roomgate_gate_decisions_total", []string{"result=denied", "reason=expired"}, 0},
		{"roomgate_gate_scan_to_door_seconds", nil, 3},
		{"roomgate_face_decisions_total", []string{"outcome=recognised"}, 1},
		{"roomgate_face_decisions_total", []string{"outcome=too_dark"}, 1},
		{"roomgate_face_decisions_total", []string{"outcome=other"}, 1},
		{"roomgate_face_decision_seconds", nil, 3},
		{"roomgate_camera_frames_total", nil, 10},
		{"roomgate_camera_dropped_frames_total", nil, 2},
		{"roomgate_call_state", []string{"state=other"}, 1},
		{"roomgate_call_state", []string{"state=failed"}, 0},
		{"roomgate_call_changes_total", []string{"state=failed"}, 1},
		{"roomgate_box_info", []string{"device=box-1"}, 1},
	} {
		if got, ok := f.Value(tt.name, tt.labels...); !ok || got != tt.want {
			t.Errorf("%s%v = %v (present %v), want %v", tt.name, tt.labels, got, ok, tt.want)
		}
	}
	for _, v := range f.LabelValues() {
		if strings.Contains(v, "Nguyễn") || v == "P-0042" || strings.Contains(v, "bridge") {
			t.Errorf("label value %q came from a caller's free text", v)
		}
	}
}

// A part the box lacks is left out rather than shown as zero.
func TestPartsOnlyWhenPresent(t *testing.T) {
	f := metricstest.Gather(t, New(Box{}, Sources{}).Gatherer())
	for _, name := range []string{"roomgate_camera_frames_total", "roomgate_call_state", "roomgate_outbox_events", "roomgate_face_decisions_total"} {
		if _, ok := f[name]; ok {
			t.Errorf("%s served by a box without that part", name)
		}
	}
	if _, ok := f["roomgate_gate_decisions_total"]; !ok {
		t.Error("gate decisions missing")
	}
}

func TestLinkStatus(t *testing.T) {
	st := citylink.Status{Connected: true, Pending: 7, Oldest: time.Now().Add(-time.Minute), Acked: 40, Sent: 45, Resent: 5, Connects: 3}
	f := metricstest.Gather(t, New(Box{}, Sources{Link: func() citylink.Status { return st }}).Gatherer())
	for name, want := range map[string]float64{"roomgate_link_connected": 1, "roomgate_outbox_events": 7, "roomgate_link_acked_events_total": 40,
		"roomgate_link_resent_events_total": 5, "roomgate_link_connects_total": 3} {
		if got, _ := f.Value(name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if age, _ := f.Value("roomgate_outbox_oldest_age_seconds"); age < 59 || age > 120 {
		t.Errorf("oldest age = %v s, want about 60", age)
	}
}

// client_golang stays here: the features only have hooks.
func TestOnlyImporterOfClientGolang(t *testing.T) {
	for _, p := range golist.List(t, "github.com/roomgate/roomgate/agent/...", "github.com/roomgate/roomgate/devices/...",
		"github.com/roomgate/roomgate/vision/...", "github.com/roomgate/roomgate/kiosk/...") {
		if p.ImportPath == "github.com/roomgate/roomgate/agent/metrics" {
			continue
		}
		if slices.ContainsFunc(p.Imports, func(i string) bool { return strings.HasPrefix(i, "github.com/prometheus/") }) {
			t.Errorf("%s imports prometheus; only agent/metrics may", p.ImportPath)
		}
	}
}
