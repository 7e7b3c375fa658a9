package citylink

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/roomgate/roomgate/agent/wire"
)

// ErrOffline is Ping's error while the link has no session.
var ErrOffline = errors.New("citylink: not connected to the broker")

// pingTimeout bounds a ping's round trip when ctx has no deadline.
const pingTimeout = 10 * time.Second

// Ping sends a message to the box's own doctor/ping topic over the link's
// session and waits for the broker to deliver it back: a round trip through
// the broker and its ACL, for the self-test.
func (l *Link) Ping(ctx context.Context) (time.Duration, error) {
	l.mu.Lock()
	s := l.cur
	lastErr := l.lastErr
	l.mu.Unlock()
	if s == nil || s.sub == nil {
		if lastErr != "" {
			return 0, fmt.Errorf("%w: %s", ErrOffline, lastErr)
		}
		return 0, ErrOffline
	}
	return ping(ctx, s.sub, wire.Topic(l.s.Device, wire.LeafPing))
}

// Probe connects to the broker as the box, pings and disconnects: the
// self-test's round trip when the agent, which holds the link, is not
// running. The session is kept (not clean), so what the broker queued for
// the agent stays queued; nothing of it is acknowledged here, so the broker
// delivers it to the agent again.
func Probe(ctx context.Context, s Settings) (time.Duration, error) {
	if s.Broker == "" || s.TLS == nil || s.Device == "" {
		return 0, errors.New("citylink: probe needs the broker, TLS and device")
	}
	opts := mqtt.NewClientOptions().
		AddBroker(s.Broker).
		SetClientID(s.Device).
		SetTLSConfig(s.TLS).
		SetCleanSession(false).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetStore(mqtt.NewMemoryStore()).
		SetResumeSubs(false).
		SetAutoAckDisabled(true).
		SetConnectTimeout(connectTimeout).
		SetDefaultPublishHandler(func(mqtt.Client, mqtt.Message) {})
	client := mqtt.NewClient(opts)
	if err := wait(ctx, client.Connect(), connectTimeout); err != nil {
		client.Disconnect(0)
		return 0, fmt.Errorf("connect %s: %w", s.Broker, err)
	}
	defer client.Disconnect(250)
	return ping(ctx, client, wire.Topic(s.Device, wire.LeafPing))
}

// subscriber is the part of paho's client a ping uses.
type subscriber interface {
	Subscribe(topic string, qos byte, callback mqtt.MessageHandler) mqtt.Token
	Unsubscribe(topics ...string) mqtt.Token
	Publish(topic string, qos byte, retained bool, payload any) mqtt.Token
}

func ping(ctx context.Context, c subscriber, topic string) (time.Duration, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, pingTimeout)
		defer cancel()
	}
	nonce := rand.Text()
	got := make(chan struct{}, 1)
	if err := wait(ctx, c.Subscribe(topic, 1, func(_ mqtt.Client, m mqtt.Message) {
		m.Ack()
		if string(m.Payload()) == nonce {
			select {
			case got <- struct{}{}:
			default:
			}
		}
	}), connectTimeout); err != nil {
		return 0, fmt.Errorf("subscribe %s: %w", topic, err)
	}
	defer func() {
		// Leave no subscription in the kept session.
		wait(context.Background(), c.Unsubscribe(topic), 2*time.Second)
	}()
	start := time.Now()
	if err := wait(ctx, c.Publish(topic, 1, false, nonce), connectTimeout); err != nil {
		return 0, fmt.Errorf("publish %s: %w", topic, err)
	}
	select {
	case <-got:
		return time.Since(start), nil
	case <-ctx.Done():
		return 0, fmt.Errorf("no answer on %s (the broker's ACL may refuse it): %w", topic, ctx.Err())
	}
}
