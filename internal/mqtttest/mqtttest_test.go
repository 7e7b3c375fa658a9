package mqtttest

import (
	"crypto/tls"
	"errors"
	"path/filepath"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/roomgate/roomgate/deploy/city/ca"
)

const wait = 5 * time.Second

// inbox collects the messages a client receives.
type inbox chan mqtt.Message

// next returns the next message, failing the test if none comes in time.
func (in inbox) next(t *testing.T) mqtt.Message {
	t.Helper()
	select {
	case m := <-in:
		return m
	case <-time.After(wait):
		t.Fatal("no message within", wait)
		return nil
	}
}

// client connects as cn with the given TLS config; clean false keeps a
// persistent session. Messages on subscriptions go to the returned inbox.
func client(t *testing.T, b *Broker, cn string, cfg *tls.Config, clean bool) (mqtt.Client, inbox, error) {
	t.Helper()
	in := make(inbox, 100)
	opts := mqtt.NewClientOptions().
		AddBroker(b.URL).
		SetClientID(cn).
		SetTLSConfig(cfg).
		SetCleanSession(clean).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetConnectTimeout(wait).
		SetOrderMatters(true).
		SetDefaultPublishHandler(func(_ mqtt.Client, m mqtt.Message) { in <- m })
	c := mqtt.NewClient(opts)
	tok := c.Connect()
	if !tok.WaitTimeout(wait) {
		return nil, nil, errors.New("connect: timed out")
	}
	if err := tok.Error(); err != nil {
		return nil, nil, err
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c, in, nil
}

func connect(t *testing.T, b *Broker, cn string) (mqtt.Client, inbox) {
	t.Helper()
	c, in, err := client(t, b, cn, b.TLSConfig(t, cn), true)
	if err != nil {
		t.Fatalf("connect as %s: %v\n%s", cn, err, b.Log())
	}
	return c, in
}

func waitToken(t *testing.T, what string, tok mqtt.Token) {
	t.Helper()
	if !tok.WaitTimeout(wait) {
		t.Fatalf("%s: timed out", what)
	}
	if err := tok.Error(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func subscribe(t *testing.T, c mqtt.Client, filter string) {
	t.Helper()
	waitToken(t, "subscribe "+filter, c.Subscribe(filter, 1, nil))
}

func publish(t *testing.T, c mqtt.Client, topic, payload string) {
	t.Helper()
	waitToken(t, "publish "+topic, c.Publish(topic, 1, false, payload))
}

func expect(t *testing.T, in inbox, topic, payload string) {
	t.Helper()
	m := in.next(t)
	if m.Topic() != topic || string(m.Payload()) != payload {
		t.Fatalf("received %s %q, want %s %q", m.Topic(), m.Payload(), topic, payload)
	}
}

// A box's events reach the ingest service's shared subscription; events it
// publishes under another box's root are acknowledged by the broker (the
// MQTT 3.1.1 quirk) but dropped. Messages from one connection are delivered
// in order, so a permitted marker after the forbidden message proves that
// the forbidden one was not delivered.
func TestEventsReachIngest(t *testing.T) {
	begin := time.Now()
	b := Start(t)
	t.Logf("broker ready in %v at %s", time.Since(begin).Round(time.Millisecond), b.URL)
	ingest, in := connect(t, b, "city-ingest")
	subscribe(t, ingest, "$share/ingest/roomgate/v1/dev/+/events")
	devA, _ := connect(t, b, "dev-a")

	publish(t, devA, "roomgate/v1/dev/dev-a/events", "first")
	expect(t, in, "roomgate/v1/dev/dev-a/events", "first")

	publish(t, devA, "roomgate/v1/dev/dev-b/events", "forged") // PUBACK comes all the same
	publish(t, devA, "roomgate/v1/dev/dev-a/events", "marker")
	expect(t, in, "roomgate/v1/dev/dev-a/events", "marker")
}

// A box cannot read another box's acks, even though its subscription is
// granted; the other box does receive them.
func TestAckOnlyToItsBox(t *testing.T) {
	b := Start(t)
	devA, inA := connect(t, b, "dev-a")
	subscribe(t, devA, "roomgate/v1/dev/dev-b/ack")
	subscribe(t, devA, "roomgate/v1/dev/dev-a/ack")
	devB, inB := connect(t, b, "dev-b")
	subscribe(t, devB, "roomgate/v1/dev/dev-b/ack")
	ingest, _ := connect(t, b, "city-ingest")

	publish(t, ingest, "roomgate/v1/dev/dev-b/ack", `{"ids":["b"]}`)
	publish(t, ingest, "roomgate/v1/dev/dev-a/ack", `{"ids":["a"]}`)
	expect(t, inA, "roomgate/v1/dev/dev-a/ack", `{"ids":["a"]}`)
	expect(t, inB, "roomgate/v1/dev/dev-b/ack", `{"ids":["b"]}`)
}

// Only clients with a certificate from the broker's CA get in.
func TestRefusesWithoutCertificate(t *testing.T) {
	b := Start(t)
	noCert := b.TLSConfig(t, "dev-a").Clone()
	noCert.Certificates, noCert.GetClientCertificate = nil, nil

	other, err := ca.Init(filepath.Join(t.TempDir(), "other"))
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, err := other.IssueClient(t.TempDir(), "dev-a")
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := b.tlsConfig(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		cfg  *tls.Config
	}{
		{"no certificate", noCert},
		{"certificate of another CA", foreign},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := client(t, b, "dev-a", tc.cfg, true); err == nil {
				t.Fatalf("connect with %s succeeded, want refused", tc.name)
			}
		})
	}
}

// A QoS 1 message queued for a persistent session survives a broker
// restart.
func TestRestartKeepsQueuedMessages(t *testing.T) {
	b := Start(t)
	devA, _, err := client(t, b, "dev-a", b.TLSConfig(t, "dev-a"), false)
	if err != nil {
		t.Fatal(err)
	}
	subscribe(t, devA, "roomgate/v1/dev/dev-a/ack")
	devA.Disconnect(100)

	ingest, _ := connect(t, b, "city-ingest")
	publish(t, ingest, "roomgate/v1/dev/dev-a/ack", `{"ids":["queued"]}`)
	ingest.Disconnect(100)

	b.Stop(t)
	if _, _, err := client(t, b, "dev-b", b.TLSConfig(t, "dev-b"), true); err == nil {
		t.Fatal("connect to a stopped broker succeeded")
	}
	b.Restart(t)

	_, in, err := client(t, b, "dev-a", b.TLSConfig(t, "dev-a"), false)
	if err != nil {
		t.Fatalf("reconnect after restart: %v", err)
	}
	expect(t, in, "roomgate/v1/dev/dev-a/ack", `{"ids":["queued"]}`)
}
