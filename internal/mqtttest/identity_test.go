package mqtttest

import (
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// connectAs connects with cn's certificate under client id id; the returned
// channel hears if the broker drops the connection.
func connectAs(t *testing.T, b *Broker, cn, id string) (mqtt.Client, inbox, <-chan error) {
	t.Helper()
	in, lost := make(inbox, 100), make(chan error, 1)
	opts := mqtt.NewClientOptions().
		AddBroker(b.URL).
		SetClientID(id).
		SetTLSConfig(b.TLSConfig(t, cn)).
		SetCleanSession(true).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetConnectTimeout(wait).
		SetOrderMatters(true).
		SetDefaultPublishHandler(func(_ mqtt.Client, m mqtt.Message) { in <- m }).
		SetConnectionLostHandler(func(_ mqtt.Client, err error) { lost <- err })
	c := mqtt.NewClient(opts)
	tok := c.Connect()
	if !tok.WaitTimeout(wait) {
		t.Fatalf("connect %s as %s: timed out", cn, id)
	}
	if err := tok.Error(); err != nil {
		t.Fatalf("connect %s as %s: %v", cn, id, err)
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c, in, lost
}

// Box B's certificate connecting under box A's client id neither knocks A
// off the broker nor reads A's commands: the broker takes the client id from
// the certificate, so B is only ever dev-b.
func TestClientIDIsTheCertificate(t *testing.T) {
	b := Start(t)
	devA, inA, lostA := connectAs(t, b, "dev-a", "dev-a")
	subscribe(t, devA, "roomgate/v1/dev/dev-a/cmd")
	impostor, inB, _ := connectAs(t, b, "dev-b", "dev-a")
	subscribe(t, impostor, "roomgate/v1/dev/dev-a/cmd")
	subscribe(t, impostor, "roomgate/v1/dev/dev-b/cmd")

	ops, _ := connect(t, b, "city-ops")
	publish(t, ops, "roomgate/v1/dev/dev-a/cmd", "open for a")
	publish(t, ops, "roomgate/v1/dev/dev-b/cmd", "marker")
	expect(t, inA, "roomgate/v1/dev/dev-a/cmd", "open for a")
	for m := inB.next(t); string(m.Payload()) != "marker"; m = inB.next(t) {
		t.Errorf("box B's certificate received %s %q", m.Topic(), m.Payload())
	}
	select {
	case err := <-lostA:
		t.Fatalf("dev-a lost its connection when box B connected as dev-a: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	if !devA.IsConnectionOpen() {
		t.Fatal("dev-a is no longer connected")
	}
	if log := b.Log(); !strings.Contains(log, " as dev-b ") {
		t.Errorf("the broker did not log box B's connection as dev-b:\n%s", log)
	}
}

// A box whose certificate the city revoked cannot connect; the others can.
func TestRevokedCertificateRefused(t *testing.T) {
	b := Start(t)
	devA, _, _ := connectAs(t, b, "dev-a", "dev-a")
	devA.Disconnect(100)
	b.Revoke(t, "dev-a")

	if _, _, err := client(t, b, "dev-a", b.TLSConfig(t, "dev-a"), true); err == nil {
		t.Fatal("dev-a connected with a revoked certificate")
	}
	if _, _, err := client(t, b, "dev-b", b.TLSConfig(t, "dev-b"), true); err != nil {
		t.Fatalf("dev-b, not revoked: %v", err)
	}
}
