package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/deploy/city/ca"
	"github.com/roomgate/roomgate/deploy/city/ingest"
	"github.com/roomgate/roomgate/deploy/city/ingest/ingestmetrics"
	"github.com/roomgate/roomgate/deploy/city/ingest/pgstore"
	"github.com/roomgate/roomgate/deploy/city/ingest/sqlitestore"
)

const ingestHelp = `
Takes the boxes' events from the broker and stores each one exactly once in
the city's database, then acknowledges them to the box (roomgate/v1/dev/D/ack)
so it may forget them. Runs until SIGINT or SIGTERM, logging a progress line
every -every.

Several ingest processes may run at once, on one machine or several: they
share the load through the broker's shared subscription. Each needs a
certificate of its own (city-ingest, city-ingest-2, ..., each CN given the
ingest rights in the broker's ACL) and must keep it across restarts: the
broker makes the CN the process's client id and keeps its session (and its
share of messages) under it while it is away.

-metrics HOST:PORT serves Prometheus metrics at /metrics there: events
stored by type, duplicates, rejected, batch commit latency, database
errors, and per device (a box of the fleet) the lag of its last batch.

-ca-dir DIR is the city CA's directory (only issued.json and the revoked
list are read, not its key): messages from a device "device revoke" revoked
are dropped, unstored and unacknowledged, even those it sent before the
broker reloaded its CRL. It is read again when it changes.

-db is a PostgreSQL URL (postgres://user@host/db, production) or
sqlite:PATH (a single file, for the demo). Tables are created or migrated
on start.

Example:
  roomgate-city ingest -broker ssl://broker.city:8883 -ca ca.pem \
    -cert city-ingest.pem -key city-ingest.key \
    -db postgres://roomgate@db.city/roomgate
`

// revocationsEvery is how often ingest looks whether the CA revoked a device.
const revocationsEvery = 5 * time.Second

// signalContext is the context ingest runs under; tests replace it.
var signalContext = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func (a *app) ingest(path string, args []string) error {
	f := newFlags(path, "-db postgres://...|sqlite:PATH [flags]", ingestHelp)
	broker := addBrokerFlags(f, "city-ingest")
	db := f.String("db", "sqlite:city.db", "`DATABASE`: postgres://... or sqlite:PATH")
	every := f.Duration("every", 10*time.Second, "log progress every `DURATION` (0: never)")
	workers := f.Int("workers", 16, "`N` messages handled at once")
	metricsAddr := f.String("metrics", "", "serve Prometheus metrics on `HOST:PORT` (e.g. 127.0.0.1:9120); empty: none")
	caDir := f.String("ca-dir", "", "refuse the boxes `DIR`'s CA revoked (device revoke); empty: refuse none")
	pos, err := a.parse(f, args)
	switch {
	case err != nil:
		return err
	case len(pos) > 0:
		return usageError(f, "unexpected argument %q", pos[0])
	case *every < 0:
		return usageError(f, "-every must not be negative")
	case *workers < 1:
		return usageError(f, "-workers must be at least 1")
	}
	log := slog.New(slog.NewTextHandler(a.stderr, nil)).With("component", "ingest")
	ctx, stop := signalContext()
	defer stop()

	store, closeStore, err := openStore(ctx, *db)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer closeStore()
	log.Info("store open", "db", fmt.Sprint(store))

	var revoked func(string) bool
	if *caDir != "" {
		r, err := ca.WatchRevocations(*caDir, revocationsEvery)
		if err != nil {
			return fmt.Errorf("%s: -ca-dir: %w", path, err)
		}
		revoked = r.Revoked
	}
	cfg := broker.config()
	var in *ingest.Ingester
	var metrics *ingestmetrics.Metrics
	var observer ingest.Observer
	if *metricsAddr != "" {
		metrics = ingestmetrics.New(func() ingest.Stats { return in.Stats() })
		observer = metrics
	}
	in = ingest.New(ingest.Config{
		MQTT:             cfg,
		Store:            store,
		Workers:          *workers,
		Observer:         observer,
		Revoked:          revoked,
		OnProblem:        func(err error) { log.Warn(err.Error()) },
		OnConnect:        func() { log.Info("connected", "broker", cfg.Broker, "cert", cfg.CertFile) },
		OnConnectionLost: func(err error) { log.Warn("connection lost; reconnecting", "err", err) },
	})
	if metrics != nil {
		ln, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			return fmt.Errorf("%s: -metrics: %w", path, err)
		}
		log.Info("metrics served", "addr", ln.Addr())
		go func() {
			if err := metrics.Serve(ctx, ln); err != nil {
				log.Error("metrics stopped", "err", err)
			}
		}()
	}
	if *every > 0 {
		go progress(ctx, log, in, *every)
	}
	if err := in.Run(ctx); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	logStats(log, "stopped", in.Stats(), 0)
	return nil
}

// store is what ingest, events, attendance, publish meetings and bridges
// need of a store; both kinds close their own way.
type store interface {
	ingest.Store
	fmt.Stringer
	Latest(ctx context.Context, f ingest.Filter) ([]ingest.StoredEvent, error)
	CountRejected(ctx context.Context, device string) (map[string]int64, error)
	Attendance(ctx context.Context, meeting string) ([]ingest.StoredEvent, error)
	RecordSchedule(ctx context.Context, device string, s wire.Schedule, at time.Time) (bool, error)
	Bridges(ctx context.Context, at time.Time, within time.Duration) ([]ingest.RoomBridge, error)
}

func openStore(ctx context.Context, dsn string) (store, func(), error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		s, err := pgstore.Open(ctx, dsn)
		if err != nil {
			return nil, nil, err
		}
		return s, s.Close, nil
	case strings.HasPrefix(dsn, "sqlite:"):
		s, err := sqlitestore.Open(ctx, strings.TrimPrefix(dsn, "sqlite:"))
		if err != nil {
			return nil, nil, err
		}
		return s, func() { s.Close() }, nil
	}
	return nil, nil, fmt.Errorf("-db %q: want postgres://... or sqlite:PATH", dsn)
}

func progress(ctx context.Context, log *slog.Logger, in *ingest.Ingester, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	var last uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			st := in.Stats()
			logStats(log, "progress", st, float64(st.Stored-last)/every.Seconds())
			last = st.Stored
		}
	}
}

func logStats(log *slog.Logger, msg string, st ingest.Stats, rate float64) {
	log.Info(msg, "messages", st.Messages, "stored", st.Stored, "duplicates", st.Duplicates,
		"rejected", st.Rejected, "malformed", st.Malformed, "refused", st.Refused, "acks", st.Acks, "use_counts", st.Uses,
		"store_errors", st.StoreErrors, "ack_errors", st.AckErrors, "stored_per_s", int(rate))
}
