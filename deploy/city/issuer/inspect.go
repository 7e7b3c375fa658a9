package issuer

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// Decoded is a pass taken apart without verifying it.
type Decoded struct {
	Header []byte // indented JSON, as written (duplicates and order kept)
	Claims []byte // indented JSON, as written
	Signed bool   // a signature segment is present
}

// Decode takes token apart for a person to read. It does not verify the
// signature and accepts what Verify would refuse, as long as the header and
// payload are base64url JSON, so support staff can see why a pass fails.
func Decode(token string) (Decoded, error) {
	segs := strings.Split(strings.TrimSpace(token), ".")
	if len(segs) != 3 {
		return Decoded{}, fmt.Errorf("issuer: decode: %d segments, want 3 (header.claims.signature)", len(segs))
	}
	var d Decoded
	for i, dst := range []*[]byte{&d.Header, &d.Claims} {
		name := [...]string{"header", "claims"}[i]
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(segs[i], "="))
		if err != nil {
			return Decoded{}, fmt.Errorf("issuer: decode %s: not base64url: %w", name, err)
		}
		var out bytes.Buffer
		if err := json.Indent(&out, raw, "", "  "); err != nil {
			return Decoded{}, fmt.Errorf("issuer: decode %s: not JSON: %w", name, err)
		}
		*dst = out.Bytes()
	}
	d.Signed = segs[2] != ""
	return d, nil
}
