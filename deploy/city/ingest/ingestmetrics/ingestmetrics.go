// Package ingestmetrics is the Prometheus side of roomgate-city ingest:
// it implements ingest.Observer and serves what it counted with the
// ingester's own counters. ingest itself does not import client_golang.
//
// Labels stay bounded: an event type is one of the box's known types or
// "other"; a device is a box of the fleet, whose id the broker's ACL ties
// to its certificate (a city has about 800), and past maxDevices any new
// one counts as "other".
package ingestmetrics

import (
	"context"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/roomgate/roomgate/agent/event"
	"github.com/roomgate/roomgate/deploy/city/ingest"
	"github.com/roomgate/roomgate/internal/promserve"
)

// maxDevices bounds the device label: several times a city's fleet.
const maxDevices = 5000

const other = "other"

// types are the event types a box sends.
var types = []string{event.TypeEntry, event.TypeDoor, event.TypeAttendance, event.TypeLoginFailed, event.TypeCall}

// Metrics counts what ingest stores.
type Metrics struct {
	reg        *prometheus.Registry
	stored     *prometheus.CounterVec
	duplicates prometheus.Counter
	rejected   prometheus.Counter
	commit     prometheus.Histogram
	dbErrors   prometheus.Counter
	lag        *prometheus.GaugeVec
	lastBatch  *prometheus.GaugeVec

	mu      sync.Mutex
	devices map[string]bool
}

// New builds the registry; stats, when set, is read at each scrape for the
// ingester's message, malformed and ack counts.
func New(stats func() ingest.Stats) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		stored: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "roomgate_city_events_stored_total", Help: "Events stored for the first time, by type.",
		}, []string{"type"}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "roomgate_city_events_duplicate_total", Help: "Events that were stored already (a box's resend); dropped, acknowledged again.",
		}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "roomgate_city_events_rejected_total", Help: "Events kept in rejected_events instead: invalid, or refused by the database.",
		}),
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "roomgate_city_batch_commit_seconds", Help: "Time to store one batch in one transaction, up to its commit.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		dbErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "roomgate_city_database_errors_total", Help: "Failed attempts to store a batch; each is retried, the box's message stays unacknowledged meanwhile.",
		}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "roomgate_city_device_lag_seconds", Help: "For a box's last batch, from its newest event's time to its commit at the city.",
		}, []string{"device"}),
		lastBatch: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "roomgate_city_device_last_batch_timestamp_seconds", Help: "When a box's last batch was committed, Unix time.",
		}, []string{"device"}),
		devices: map[string]bool{},
	}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.stored, m.duplicates, m.rejected, m.commit, m.dbErrors, m.lag, m.lastBatch)
	for _, t := range append(slices.Clone(types), other) {
		m.stored.WithLabelValues(t)
	}
	if stats != nil {
		counter := func(name, help string, v func(ingest.Stats) uint64) prometheus.Collector {
			return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v(stats())) })
		}
		m.reg.MustRegister(
			counter("roomgate_city_messages_total", "Messages taken from the broker.", func(s ingest.Stats) uint64 { return s.Messages }),
			counter("roomgate_city_messages_malformed_total", "Messages dropped: not a batch of events on an events topic.", func(s ingest.Stats) uint64 { return s.Malformed }),
			counter("roomgate_city_messages_refused_total", "Messages dropped: from a device whose certificates are revoked.", func(s ingest.Stats) uint64 { return s.Refused }),
			counter("roomgate_city_acks_total", "Acks published to boxes and confirmed by the broker.", func(s ingest.Stats) uint64 { return s.Acks }),
			counter("roomgate_city_ack_errors_total", "Acks that failed; the box's message comes again.", func(s ingest.Stats) uint64 { return s.AckErrors }))
	}
	return m
}

// Committed counts a stored batch; *Metrics is ingest's Observer.
func (m *Metrics) Committed(b ingest.Batch, s ingest.Saved, took time.Duration) {
	for t, n := range s.Types {
		if !slices.Contains(types, t) {
			t = other
		}
		m.stored.WithLabelValues(t).Add(float64(n))
	}
	m.duplicates.Add(float64(s.Duplicates))
	m.rejected.Add(float64(s.Rejected))
	m.commit.Observe(took.Seconds())
	var newest time.Time
	for _, e := range b.Events {
		if e.Time.After(newest) {
			newest = e.Time
		}
	}
	now := time.Now()
	device := m.device(b.Device)
	m.lastBatch.WithLabelValues(device).Set(float64(now.UnixNano()) / 1e9)
	if !newest.IsZero() {
		// A box's clock may run ahead: a negative lag would read as none.
		m.lag.WithLabelValues(device).Set(max(0, now.Sub(newest).Seconds()))
	}
}

// StoreFailed counts a database error.
func (m *Metrics) StoreFailed(ingest.Batch, error) { m.dbErrors.Inc() }

// device is the label of a device: itself while the set is small enough.
func (m *Metrics) device(d string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.devices[d] {
		if len(m.devices) >= maxDevices {
			return other
		}
		m.devices[d] = true
	}
	return d
}

// Gatherer is the registry, for tests and the dashboard's check.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// Serve answers /metrics on ln until ctx ends.
func (m *Metrics) Serve(ctx context.Context, ln net.Listener) error {
	return promserve.Serve(ctx, ln, m.reg)
}

var _ ingest.Observer = (*Metrics)(nil)
