package mqttclient_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/deploy/city/mqttclient"
	"github.com/roomgate/roomgate/internal/mqtttest"
)

func TestConnectErrors(t *testing.T) {
	b := mqtttest.Start(t)
	cert, key := b.ClientCert(t, "city-ops")
	other := mqtttest.Start(t) // a CA the first broker does not trust
	otherCert, otherKey := other.ClientCert(t, "city-ops")
	ok := mqttclient.Config{Broker: b.URL, CAFile: b.CAFile, CertFile: cert, KeyFile: key, ClientID: "t", ConnectTimeout: 3 * time.Second}
	for _, c := range []struct {
		name string
		edit func(*mqttclient.Config)
		want string
	}{
		{"no broker URL", func(c *mqttclient.Config) { c.Broker = "" }, "broker is required"},
		{"subscriptions without handler", func(c *mqttclient.Config) { c.Subscriptions = []string{"x"} }, "OnMessage"},
		{"missing CA", func(c *mqttclient.Config) { c.CAFile = "/nonexistent" }, "CA"},
		{"CA not PEM", func(c *mqttclient.Config) { c.CAFile = key }, "no PEM certificate"},
		{"missing key", func(c *mqttclient.Config) { c.KeyFile = "/nonexistent" }, "client certificate"},
		{"untrusted client certificate", func(c *mqttclient.Config) { c.CertFile, c.KeyFile = otherCert, otherKey }, "connect"},
		{"untrusted broker", func(c *mqttclient.Config) { c.CAFile = other.CAFile }, "connect"},
		{"no broker", func(c *mqttclient.Config) { c.Broker = "ssl://127.0.0.1:1" }, "connect"},
	} {
		cfg := ok
		c.edit(&cfg)
		start := time.Now()
		cl, err := mqttclient.New(cfg)
		if err == nil {
			err = cl.Connect(context.Background())
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: New+Connect = %v, want an error about %q", c.name, err, c.want)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s: took %v, want the connect timeout to bound it", c.name, d)
		}
	}
	// Without a client id the client connects as its certificate's CN,
	// which the broker would make its id anyway.
	noID := ok
	noID.ClientID = ""
	for _, cfg := range []mqttclient.Config{ok, noID} {
		cl, err := mqttclient.New(cfg)
		if err == nil {
			err = cl.Connect(context.Background())
		}
		if err != nil {
			t.Fatalf("New+Connect(good config, client id %q) = %v", cfg.ClientID, err)
		}
		cl.Close()
	}
	if !strings.Contains(b.Log(), " as city-ops ") {
		t.Errorf("the broker did not log a connection as city-ops:\n%s", b.Log())
	}
}
