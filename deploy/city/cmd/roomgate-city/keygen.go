package main

import (
	"fmt"
	"os"

	"github.com/roomgate/roomgate/deploy/city/issuer"
)

const keygenHelp = `
Makes a new Ed25519 key pair for signing visitor passes and writes it to
DIR/KID.key (the secret key, readable only by you) and DIR/KID.pub (the
public key). It never overwrites an existing key.

Keep KID.key on the machine that issues passes and back it up safely: anyone
holding it can open every door that trusts it. The public key is not secret.

The command prints the lines to paste under "trust:" -> "issuers:" in each
box's config file (or to publish to the boxes), for example:

  trust:
    issuers:
      - kid: "city-2026"
        iss: "city"
        public_key: "7Lp...Q"

Example:
  roomgate-city keygen -kid city-2026 -out /etc/roomgate-city/keys
`

func (a *app) keygen(path string, args []string) error {
	f := newFlags(path, "-kid KID [-iss ISSUER] [-out DIR]", keygenHelp)
	kid := f.String("kid", "", "`KID`, required: the key id that names this key in passes and box configs (letters, digits, . _ -), e.g. city-2026")
	iss := f.String("iss", "city", "`ISSUER`: the iss that passes signed with this key carry, and boxes expect")
	out := f.String("out", ".", "`DIR` to write KID.key and KID.pub to; created if missing")
	pos, err := a.parse(f, args)
	switch {
	case err != nil:
		return err
	case len(pos) > 0:
		return usageError(f, "unexpected argument %q", pos[0])
	case *kid == "":
		return usageError(f, "-kid is required")
	case *iss == "":
		return usageError(f, "-iss must not be empty")
	}
	if err := issuer.CheckKid(*kid); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	pub, files, err := issuer.GenerateKey(*out, *kid)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(a.stderr, "Wrote %s (secret, keep it safe) and %s.\nPaste these lines under trust.issuers in each box config:\n\n", files.Private, files.Public)
	fmt.Fprint(a.stdout, issuer.TrustSnippet(*kid, *iss, pub))
	return nil
}
