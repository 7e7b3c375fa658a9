package agent

import (
	"context"
	"strconv"
	"time"

	"github.com/roomgate/roomgate/agent/citylink"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/internal/tlsfiles"
)

// newLink builds the link to the city's broker from the sync config.
func (s *System) newLink() (*citylink.Link, error) {
	y := s.cfg.Sync
	tlsCfg, err := tlsfiles.Client(s.path(y.CAFile), s.path(y.CertFile), s.path(y.KeyFile))
	if err != nil {
		return nil, err
	}
	cityKey, err := s.cfg.CityKey(s.opts.ConfigDir)
	if err != nil {
		return nil, err
	}
	if cityKey == nil {
		s.log.Warn("no sync.city_key: config, trust and commands from the city are refused", "component", "citylink")
	}
	return citylink.New(citylink.Settings{
		Broker: y.Broker, TLS: tlsCfg, Device: s.cfg.Identity.Device, Site: s.cfg.Identity.Site, CityKey: cityKey,
		AckMode: y.AckMode, BatchEvents: y.BatchEvents, BatchBytes: y.BatchBytes, Window: y.Window,
		AckTimeout: y.AckTimeout.D(), AckTimeoutMin: y.AckTimeoutMin.D(), AckTimeoutMax: y.AckTimeoutMax.D(), Retention: y.Retention.D(), BackoffMin: y.BackoffMin.D(), BackoffMax: y.BackoffMax.D(),
		StateEvery: y.StateEvery.D(), OutboxCap: y.OutboxCap,
		Log: s.log, State: s.linkState,
	}, s.store, downlink{s})
}

// linkState is the agent's part of the state the box publishes: versions
// and the health of every device.
func (s *System) linkState() wire.State {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st := wire.State{Versions: wire.Versions{Software: s.opts.Version, Model: s.cfg.Vision.RecognizerName}}
	for key, v := range map[string]*int64{settingConfigVersion: &st.Versions.Config, settingTrustVersion: &st.Versions.Trust} {
		if text, err := s.store.Setting(ctx, key); err == nil && text != "" {
			*v, _ = strconv.ParseInt(text, 10, 64)
		}
	}
	if sched := s.sched.Current(); sched != nil {
		st.Versions.Schedule = sched.Version
	}
	g := s.gallery.State()
	st.Versions.Gallery = g.Applied
	st.Gallery = wire.GallerySync{Version: g.Version, Model: g.Model, Received: g.Received, Total: g.Total, Applied: g.Version == g.Applied && g.Applied > 0, Error: g.Error}
	if s.calls != nil {
		c := s.calls.State()
		st.Call = &c
	}
	st.Doctor = s.doctorState()
	for _, d := range s.devices() {
		st.Devices = append(st.Devices, wire.DeviceState{Name: d.Name, Kind: d.Kind, OK: d.OK, Detail: d.Detail})
	}
	return st
}
