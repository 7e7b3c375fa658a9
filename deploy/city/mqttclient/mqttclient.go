package mqttclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// Config says where and who to connect as.
type Config struct {
	Broker                    string // ssl://host:port
	CAFile, CertFile, KeyFile string // PEM: the CA that signed the broker's certificate, ours and its key
	// ClientID is the certificate's CN when empty: the broker replaces any
	// other by it (use_username_as_clientid), so two connections with one
	// certificate take the session from each other.
	ClientID string

	// Persistent asks the broker to keep the session (subscriptions and
	// the QoS 1 messages not yet acknowledged) while the client is away:
	// MQTT's clean session false. The ClientID must then stay the same
	// across restarts.
	Persistent bool

	// ConnectTimeout bounds the first connection and subscription; 10s
	// when zero.
	ConnectTimeout time.Duration

	// Subscriptions are topic filters subscribed at QoS 1 on every
	// connection; their messages go to OnMessage.
	Subscriptions []string
	// OnMessage is called in a goroutine of its own for each message, so
	// it may block (publish, write a database). It must call Message.Ack
	// once the message is dealt with; a message never acknowledged is
	// delivered again when the client reconnects.
	OnMessage func(Message)
	// Ordered calls OnMessage in the order messages arrive, one at a
	// time on paho's own goroutine, for a client that must know what
	// came before what (retained messages before a live one). OnMessage
	// must then not block: a publish from it would deadlock paho.
	Ordered bool

	// OnConnect and OnConnectionLost, when set, hear about the
	// connection, for logs. Lost connections are re-established by the
	// client itself.
	OnConnect        func()
	OnConnectionLost func(error)
}

// Message is a message received on a subscription.
type Message struct {
	Topic     string
	Payload   []byte
	Duplicate bool // the broker delivered it before, unacknowledged
	Retained  bool // kept by the broker from before this subscription
	ack       func()
}

// Ack acknowledges the message to the broker (QoS 1 PUBACK). Until then
// the broker keeps it for this session.
func (m Message) Ack() { m.ack() }

// Client is a connection to the broker.
type Client struct {
	c          mqtt.Client
	cfg        Config
	timeout    time.Duration
	subscribed chan error // the first connection's subscription result
}

// TLSConfig reads PEM files into a client TLS configuration.
func TLSConfig(caFile, certFile, keyFile string) (*tls.Config, error) {
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("mqttclient: CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("mqttclient: CA %s: no PEM certificate in it", caFile)
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("mqttclient: client certificate: %w", err)
	}
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// New prepares a client from cfg, reading its certificate files; Connect
// connects it.
func New(cfg Config) (*Client, error) {
	if cfg.Broker == "" {
		return nil, errors.New("mqttclient: broker is required")
	}
	if len(cfg.Subscriptions) > 0 && cfg.OnMessage == nil {
		return nil, errors.New("mqttclient: subscriptions without OnMessage")
	}
	tlsCfg, err := TLSConfig(cfg.CAFile, cfg.CertFile, cfg.KeyFile)
	if err != nil {
		return nil, err
	}
	if cfg.ClientID == "" {
		cfg.ClientID = tlsCfg.Certificates[0].Leaf.Subject.CommonName
	}
	if cfg.ClientID == "" {
		return nil, fmt.Errorf("mqttclient: %s has no CN to connect as", cfg.CertFile)
	}
	c := &Client{cfg: cfg, timeout: cfg.ConnectTimeout, subscribed: make(chan error, 1)}
	if c.timeout <= 0 {
		c.timeout = 10 * time.Second
	}
	filters := map[string]byte{}
	for _, f := range cfg.Subscriptions {
		filters[f] = 1
	}
	opts := mqtt.NewClientOptions().
		AddBroker(cfg.Broker).
		SetClientID(cfg.ClientID).
		SetTLSConfig(tlsCfg).
		SetCleanSession(!cfg.Persistent).
		SetConnectTimeout(c.timeout).
		SetKeepAlive(30 * time.Second).
		SetAutoReconnect(true).
		SetMaxReconnectInterval(10 * time.Second).
		// Handlers run in goroutines of their own unless Ordered: with
		// ordered delivery a handler that blocks on a publish can
		// deadlock paho. Acks are ours to send (AutoAckDisabled), so a
		// message whose handler did not finish is delivered again.
		SetOrderMatters(cfg.Ordered).
		SetAutoAckDisabled(true).
		SetOnConnectHandler(func(mc mqtt.Client) {
			var err error
			if len(filters) > 0 {
				err = subscribe(mc, filters)
			}
			select {
			case c.subscribed <- err: // the first Connect waits for this
			default:
			}
			if cfg.OnConnect != nil {
				cfg.OnConnect()
			}
		}).
		SetConnectionLostHandler(func(_ mqtt.Client, err error) {
			if cfg.OnConnectionLost != nil {
				cfg.OnConnectionLost(err)
			}
		})
	if cfg.OnMessage != nil {
		// The default handler, not a route per subscription: a persistent
		// session's queued messages arrive right after CONNACK, before
		// any SUBSCRIBE of ours, and must not find paho without a handler.
		opts.SetDefaultPublishHandler(func(_ mqtt.Client, m mqtt.Message) {
			cfg.OnMessage(Message{Topic: m.Topic(), Payload: m.Payload(), Duplicate: m.Duplicate(), Retained: m.Retained(), ack: m.Ack})
		})
	}
	c.c = mqtt.NewClient(opts)
	return c, nil
}

// Connect connects to the broker and makes the subscriptions, waiting at
// most the configured ConnectTimeout or until ctx ends. Afterwards the
// client reconnects by itself when the connection drops.
func (c *Client) Connect(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if err := wait(ctx, c.c.Connect()); err != nil {
		c.c.Disconnect(0)
		return fmt.Errorf("mqttclient: connect %s as %s: %w", c.cfg.Broker, c.cfg.ClientID, err)
	}
	var err error
	select {
	case err = <-c.subscribed:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		c.c.Disconnect(0)
		return fmt.Errorf("mqttclient: subscribe %v: %w", c.cfg.Subscriptions, err)
	}
	return nil
}

func subscribe(mc mqtt.Client, filters map[string]byte) error {
	tok := mc.SubscribeMultiple(filters, nil)
	tok.Wait()
	if err := tok.Error(); err != nil {
		return err
	}
	for f, code := range tok.(*mqtt.SubscribeToken).Result() {
		if code == 0x80 {
			return fmt.Errorf("broker refused %s", f)
		}
	}
	return nil
}

func wait(ctx context.Context, tok mqtt.Token) error {
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Publish publishes payload at QoS 1 and waits for the broker's PUBACK or
// the end of ctx. A PUBACK means the broker took the message, not that it
// allowed it: MQTT 3.1.1 acknowledges a publish the ACL drops.
func (c *Client) Publish(ctx context.Context, topic string, payload []byte, retained bool) error {
	if err := wait(ctx, c.c.Publish(topic, 1, retained, payload)); err != nil {
		return fmt.Errorf("mqttclient: publish %s: %w", topic, err)
	}
	return nil
}

// Close disconnects, giving work in progress a quarter of a second.
func (c *Client) Close() { c.c.Disconnect(250) }
