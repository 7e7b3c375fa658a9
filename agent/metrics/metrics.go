package metrics

import (
	"context"
	"net"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/roomgate/roomgate/agent/citylink"
	"github.com/roomgate/roomgate/agent/gate"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/internal/promserve"
	"github.com/roomgate/roomgate/vision/quality"
)

// Box names the box in roomgate_box_info, the series a dashboard joins on
// to show a device instead of a scrape address.
type Box struct {
	Site, Gate, Device, Version string
}

// Sources are the parts of the box read at each scrape. A nil one is a part
// this box does not have, and its metrics are left out.
type Sources struct {
	Link      func() citylink.Status
	StoreSize func() (int64, error)          // bytes of the store on disk
	Gallery   func() int64                   // the city's gallery version in force; 0: none yet
	Camera    func() (frames, dropped int64) // since the camera started
	Terminal  bool                           // the box drives a conference terminal
}

// Outcomes of a face decision besides the quality reasons of an unknown face.
const (
	OutcomeRecognised    = "recognised"
	OutcomeNotRecognised = "not_recognised"
	other                = "other" // any code outside the fixed set
)

// callStates are the values of a room's call state (wire.CallState.State).
var callStates = []string{wire.CallIdle, wire.CallDialling, wire.CallConnected, wire.CallFailed, wire.CallDropped, wire.CallEnded}

// Metrics holds the box's registry and the metrics fed by hooks.
type Metrics struct {
	reg          *prometheus.Registry
	decisions    *prometheus.CounterVec
	scanToDoor   prometheus.Histogram
	faces        *prometheus.CounterVec
	faceSeconds  prometheus.Histogram
	callState    *prometheus.GaugeVec
	callChanges  *prometheus.CounterVec
	reasons      []string
	faceOutcomes []string
	terminal     bool
}

// New builds the registry: the Go and process collectors, the box's info,
// the parts in src, and the hooks' metrics with every label value they can
// take already at zero, so a rate starts with the first event.
func New(box Box, src Sources) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roomgate_gate_decisions_total", Help: "Scans decided at the gate, by result and reason code.",
		}, []string{"result", "reason"}),
		scanToDoor: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "roomgate_gate_scan_to_door_seconds", Help: "From a scan's last byte to the door told to open or stay shut, the record kept on the way.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		faces: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roomgate_face_decisions_total", Help: "Face decisions, by outcome: recognised, not_recognised, or the quality reason of a face too poor to search.",
		}, []string{"outcome"}),
		faceSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "roomgate_face_decision_seconds", Help: "From a face's first frame to its decision.",
			Buckets: []float64{.25, .5, 1, 1.5, 2, 3, 5, 10},
		}),
		callState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "roomgate_call_state", Help: "The room's bridge call: 1 for the state it is in.",
		}, []string{"state"}),
		callChanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roomgate_call_changes_total", Help: "Changes of the room's bridge call, by the state entered.",
		}, []string{"state"}),
		reasons:  gate.Reasons(),
		terminal: src.Terminal,
	}
	m.faceOutcomes = []string{OutcomeRecognised, OutcomeNotRecognised}
	for _, r := range []quality.Reason{quality.LowScore, quality.Clipped, quality.TooSmall, quality.EyesTooClose, quality.TurnedAway,
		quality.Tilted, quality.Rolled, quality.Blurry, quality.TooDark, quality.TooBright} {
		m.faceOutcomes = append(m.faceOutcomes, string(r))
	}

	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.decisions, m.scanToDoor)
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "roomgate_box_info", Help: "1, labelled with the box's names and version.",
		ConstLabels: prometheus.Labels{"site": box.Site, "gate": box.Gate, "device": box.Device, "version": box.Version},
	})
	info.Set(1)
	m.reg.MustRegister(info)
	m.decisions.WithLabelValues("granted", "none")
	for _, r := range append(slices.Clone(m.reasons), other) {
		m.decisions.WithLabelValues("denied", r)
	}
	if src.Camera != nil {
		m.reg.MustRegister(m.faces, m.faceSeconds)
		for _, o := range append(slices.Clone(m.faceOutcomes), other) {
			m.faces.WithLabelValues(o)
		}
		m.reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "roomgate_camera_frames_total", Help: "Frames the camera handed to the face engine."},
				func() float64 { f, _ := src.Camera(); return float64(f) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "roomgate_camera_dropped_frames_total", Help: "Camera frames not handed to the face engine: over max_fps, or replaced by a newer frame while the engine was busy."},
				func() float64 { _, d := src.Camera(); return float64(d) }))
	}
	if src.Terminal {
		m.reg.MustRegister(m.callState, m.callChanges)
		for _, s := range append(slices.Clone(callStates), other) {
			m.callChanges.WithLabelValues(s)
		}
		m.CallChanged(wire.CallIdle)
	}
	if src.Gallery != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "roomgate_gallery_version", Help: "The city's face gallery version in force; 0: none yet."},
			func() float64 { return float64(src.Gallery()) }))
	}
	if src.StoreSize != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "roomgate_store_bytes", Help: "The store's database and its write-ahead log on disk."},
			func() float64 {
				n, err := src.StoreSize()
				if err != nil {
					return -1 // unreadable: a value no store has
				}
				return float64(n)
			}))
	}
	if src.Link != nil {
		m.reg.MustRegister(linkCollector{src.Link})
	}
	return m
}

// Decided counts a gate decision; *Metrics is the gate's Observer.
func (m *Metrics) Decided(granted bool, reason, _ string, scanToDoor time.Duration) {
	if granted {
		m.decisions.WithLabelValues("granted", "none").Inc()
	} else {
		m.decisions.WithLabelValues("denied", known(m.reasons, reason)).Inc()
	}
	m.scanToDoor.Observe(scanToDoor.Seconds())
}

// FaceDecided counts a face decision: OutcomeRecognised, or an unknown
// face's reason; took runs from the face's first frame.
func (m *Metrics) FaceDecided(outcome string, took time.Duration) {
	m.faces.WithLabelValues(known(m.faceOutcomes, outcome)).Inc()
	m.faceSeconds.Observe(took.Seconds())
}

// CallChanged sets the room's call state; the calls' OnChange calls it.
func (m *Metrics) CallChanged(state string) {
	if !m.terminal {
		return
	}
	state = known(callStates, state)
	for _, s := range append(slices.Clone(callStates), other) {
		v := 0.0
		if s == state {
			v = 1
		}
		m.callState.WithLabelValues(s).Set(v)
	}
	m.callChanges.WithLabelValues(state).Inc()
}

// known is code when it is one of set, else "other": label values stay a
// small fixed set whatever a caller passes.
func known(set []string, code string) string {
	if slices.Contains(set, code) {
		return code
	}
	return other
}

// Gatherer is the registry, for a test or a dashboard check that reads
// what the box exposes.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// Serve answers /metrics on ln until ctx ends.
func (m *Metrics) Serve(ctx context.Context, ln net.Listener) error {
	return promserve.Serve(ctx, ln, m.reg)
}

var _ gate.Observer = (*Metrics)(nil)
