package citylink

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/roomgate/roomgate/internal/mqtttest"
)

// The self-test's ping goes through a real broker and its ACL, over the
// running link's session and, with the agent stopped, on a connection of
// its own.
func TestPingThroughBroker(t *testing.T) {
	b := mqtttest.Start(t)
	ob := &memOutbox{}
	l, stop := runLink(t, b, Settings{}, ob, &fakeDownlink{})
	eventually(t, 10*time.Second, "connected", func() bool { return l.Status().Connected })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rtt, err := l.Ping(ctx)
	if err != nil || rtt <= 0 {
		t.Fatalf("Link.Ping = %v, %v; want a round trip", rtt, err)
	}
	t.Logf("round trip over the link's session: %v", rtt)
	stop()
	if _, err := l.Ping(ctx); !errors.Is(err, ErrOffline) {
		t.Errorf("Link.Ping after stop = %v, want ErrOffline", err)
	}
	rtt, err = Probe(ctx, Settings{Broker: b.URL, TLS: b.TLSConfig(t, testDevice), Device: testDevice})
	if err != nil || rtt <= 0 {
		t.Fatalf("Probe = %v, %v; want a round trip", rtt, err)
	}
}

// A box whose certificate names another device cannot reach room-201's
// topic: the ping times out instead of answering.
func TestPingRefusedByACL(t *testing.T) {
	b := mqtttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s := Settings{Broker: b.URL, TLS: b.TLSConfig(t, "room-999"), Device: "room-999"}
	if _, err := Probe(ctx, s); err != nil {
		t.Fatalf("Probe(own topic) = %v", err)
	}
	other := s
	other.Device = "room-201" // the topic of another box, with room-999's certificate
	ctx, cancel = context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := Probe(ctx, other); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Probe(another box's topic) = %v; want no answer (the ACL keeps it silent)", err)
	}
}
