package main

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/roomgate/roomgate/agent/citysign"
	"github.com/roomgate/roomgate/deploy/city/issuer"
	"github.com/roomgate/roomgate/deploy/city/mqttclient"
)

// brokerFlags are the flags every command that talks to the broker takes.
type brokerFlags struct {
	url, ca, cert, key *string
}

// addBrokerFlags adds -broker, -ca, -cert and -key; cn names the
// certificate the command is meant to use (city-ingest, city-ops).
func addBrokerFlags(f *flags, cn string) brokerFlags {
	return brokerFlags{
		url:  f.String("broker", "ssl://127.0.0.1:8883", "broker `URL`"),
		ca:   f.String("ca", "ca.pem", "`FILE`: the CA certificate that signed the broker's certificate"),
		cert: f.String("cert", cn+".pem", "`FILE`: this client's certificate, CN "+cn),
		key:  f.String("key", cn+".key", "`FILE`: this client's key"),
	}
}

// config connects as the certificate's CN, which the broker makes the
// client id whatever the client asks for.
func (b brokerFlags) config() mqttclient.Config {
	return mqttclient.Config{Broker: *b.url, CAFile: *b.ca, CertFile: *b.cert, KeyFile: *b.key}
}

// addSignFlag adds -sign-key: boxes take config, trust and commands only
// when the city's key signed them for them.
func addSignFlag(f *flags) *string {
	return f.String("sign-key", "", "`FILE`, required: the city's signing key (Ed25519, PEM; keygen's KID.key) whose public half the boxes pin as sync.city_key")
}

// loadSigner reads the -sign-key file; its name without the extension
// names the key in what it signs.
func loadSigner(f *flags, path string) (citysign.Signer, error) {
	if path == "" {
		return citysign.Signer{}, usageError(f, "-sign-key is required: boxes refuse what the city did not sign")
	}
	key, err := issuer.LoadPrivateKey(path)
	if err != nil {
		return citysign.Signer{}, err
	}
	return citysign.Signer{Key: key, Kid: strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))}, nil
}

// connect connects a short-lived client (clean session). The broker makes
// the certificate's CN its client id, so two commands run at once with one
// certificate take the connection from each other: give each operator, and
// each service, a certificate of its own.
func (b brokerFlags) connect(ctx context.Context, subs []string, onMessage func(mqttclient.Message)) (*mqttclient.Client, error) {
	return b.dial(ctx, subs, onMessage, false)
}

// connectOrdered is connect with messages handed over in the order they
// arrive (mqttclient.Config.Ordered): onMessage must not block.
func (b brokerFlags) connectOrdered(ctx context.Context, subs []string, onMessage func(mqttclient.Message)) (*mqttclient.Client, error) {
	return b.dial(ctx, subs, onMessage, true)
}

func (b brokerFlags) dial(ctx context.Context, subs []string, onMessage func(mqttclient.Message), ordered bool) (*mqttclient.Client, error) {
	cfg := b.config()
	cfg.Subscriptions, cfg.OnMessage, cfg.Ordered = subs, onMessage, ordered
	c, err := mqttclient.New(cfg)
	if err != nil {
		return nil, err
	}
	if err := c.Connect(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// list splits a comma-separated flag value, dropping empty items.
func list(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
