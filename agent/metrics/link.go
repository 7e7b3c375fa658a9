package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roomgate/roomgate/agent/citylink"
)

// linkCollector reads the link's status once per scrape, so its numbers
// agree with each other and with the status page.
type linkCollector struct{ status func() citylink.Status }

var (
	linkConnected = prometheus.NewDesc("roomgate_link_connected", "1 while the box is connected to the city's broker.", nil, nil)
	outboxEvents  = prometheus.NewDesc("roomgate_outbox_events", "Records waiting in the outbox for the city's ack, as last counted (every few seconds).", nil, nil)
	outboxOldest  = prometheus.NewDesc("roomgate_outbox_oldest_age_seconds", "Age of the oldest record waiting; 0 when none waits.", nil, nil)
	outboxAlarm   = prometheus.NewDesc("roomgate_outbox_alarm", "1 while the outbox holds sync.outbox_cap records or more (none is dropped).", nil, nil)
	linkSent      = prometheus.NewDesc("roomgate_link_sent_events_total", "Records published to the city, resends included.", nil, nil)
	linkResent    = prometheus.NewDesc("roomgate_link_resent_events_total", "Records published again after a reconnect or a missing ack.", nil, nil)
	linkAcked     = prometheus.NewDesc("roomgate_link_acked_events_total", "Records the city acknowledged, so the box may forget them.", nil, nil)
	linkConnects  = prometheus.NewDesc("roomgate_link_connects_total", "Connections made to the broker; every one after the first is a reconnect.", nil, nil)
	linkRefused   = prometheus.NewDesc("roomgate_link_refused_total", "Messages from the city refused (malformed, unsigned or not applicable).", nil, nil)
)

func (linkCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{linkConnected, outboxEvents, outboxOldest, outboxAlarm, linkSent, linkResent, linkAcked, linkConnects, linkRefused} {
		ch <- d
	}
}

func (c linkCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.status()
	age := 0.0
	if !st.Oldest.IsZero() && st.Pending > 0 {
		age = max(0, time.Since(st.Oldest).Seconds())
	}
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	counter := func(d *prometheus.Desc, v int64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}
	gauge(linkConnected, b2f(st.Connected))
	gauge(outboxEvents, float64(st.Pending))
	gauge(outboxOldest, age)
	gauge(outboxAlarm, b2f(st.Alarm))
	counter(linkSent, st.Sent)
	counter(linkResent, st.Resent)
	counter(linkAcked, st.Acked)
	counter(linkConnects, st.Connects)
	counter(linkRefused, st.Refused)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
