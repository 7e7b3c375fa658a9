package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/roomgate/roomgate/agent/pass"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/deploy/city/issuer"
)

var trustCommands = []command{
	{"publish", "send pass issuers' keys and revoked passes to boxes (retained)", (*app).trustPublish},
}

const trustPublishHelp = `
Publishes the pass issuers' public keys and the revoked pass ids to each
box, retained on roomgate/v1/dev/D/trust, so a box gets them whenever it
connects. Each message replaces the box's whole trust list: name every key
the box should accept and every pass it should refuse. A box ignores a
version older than the one it has. Each box's copy is signed with
-sign-key for that box alone.

-issuer takes KID=FILE pairs; FILE is KID.pub from keygen (PEM) or the
base64url key itself in a file.

Example:
  roomgate-city trust publish -cert city-ops.pem -key city-ops.key -sign-key keys/city-sign.key \
    -device hq-gate-1,hq-gate-2 -issuer city-2026=keys/city-2026.pub \
    -revoke 0190f0c0-1111-7000-8000-000000000001 -version 7
`

func (a *app) trustPublish(path string, args []string) error {
	f := newFlags(path, "-device D[,D] -issuer KID=FILE[,...] -version N [flags]", trustPublishHelp)
	broker := addBrokerFlags(f, "city-ops")
	devices := f.String("device", "", "`D[,D...]`: device ids to publish to, required")
	issuers := f.String("issuer", "", "`KID=FILE[,...]`: issuer key ids and their public key files")
	iss := f.String("iss", "city", "`ISSUER`: the iss claim the listed keys' passes carry")
	revoke := f.String("revoke", "", "`JTI[,...]`: revoked pass ids")
	version := f.Int64("version", 0, "trust list `N`, required, at least 1; newer lists take higher numbers")
	timeout := f.Duration("timeout", 10*time.Second, "give up after `DURATION`")
	signKey := addSignFlag(f)
	pos, err := a.parse(f, args)
	switch {
	case err != nil:
		return err
	case len(pos) > 0:
		return usageError(f, "unexpected argument %q", pos[0])
	case len(list(*devices)) == 0:
		return usageError(f, "-device is required")
	case *version < 1:
		return usageError(f, "-version is required and must be at least 1")
	}
	for _, d := range list(*devices) {
		if !wire.ValidName(d) {
			return usageError(f, "-device %q is not a device id", d)
		}
	}
	t := wire.Trust{Version: *version, Issuers: []wire.TrustIssuer{}, Revoked: list(*revoke)}
	for _, kv := range list(*issuers) {
		kid, file, ok := strings.Cut(kv, "=")
		if !ok || kid == "" || file == "" {
			return usageError(f, "-issuer %q: want KID=FILE", kv)
		}
		if err := issuer.CheckKid(kid); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		pub, err := pass.ParsePublicKey(b)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", path, file, err)
		}
		t.Issuers = append(t.Issuers, wire.TrustIssuer{Kid: kid, Iss: *iss, PublicKey: pass.EncodePublicKey(pub)})
	}
	payload, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	// What the boxes will refuse is refused here, before anything is sent.
	if _, err := wire.DecodeTrust(payload); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	signer, err := loadSigner(f, *signKey)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	c, err := broker.connect(ctx, nil, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer c.Close()
	for _, d := range list(*devices) {
		signed, err := signer.Trust(d, t, a.now())
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := c.Publish(ctx, wire.Topic(d, wire.LeafTrust), signed, true); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		fmt.Fprintf(a.stdout, "%s: trust version %d, %d issuers, %d revoked\n", d, t.Version, len(t.Issuers), len(t.Revoked))
	}
	return nil
}
