package wire

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"
)

// Limits of a visits message.
const (
	MaxVisitsSize     = 8 << 20 // 5,000 visits with a 128-d template each take about 5 MB
	MaxVisits         = 5000
	MaxVisitIDSize    = 128
	MaxVisitGates     = 32
	MaxVisitUses      = 1000
	MaxVisitDuration  = 31 * 24 * time.Hour // catches a mistyped year
	idNumberDigits    = 12                  // a chip ID card (CCCD) number
	maxGateEntrySize  = 2*63 + 1            // site/gate, each a ValidName
	minTemplateLength = 4                   // one float32
)

// Visits is every visit the city registered in advance for chip ID cards
// (CCCD) at one box, signed, retained on visits. It replaces the box's
// previous visits whole. A visit carries the visitor's face template, made
// by the city from a photo with the boxes' face engine; the photo itself
// never leaves the city.
type Visits struct {
	Version int64   `json:"version"`
	Visits  []Visit `json:"visits"`

	// Set by the city when it signs the message (agent/citysign checks them).
	Device   string `json:"dev,omitempty"`
	IssuedAt int64  `json:"iat,omitempty"`
}

// Visit is one registered visit: the card's ID number may enter at the
// gates named (a site, or site/gate as a pass's aud) within the window, at
// most uses times, once the face at the gate matches the template.
type Visit struct {
	ID        string    `json:"id"`
	IDNumber  string    `json:"id_number"` // the card's 12 digits
	Name      string    `json:"name"`
	Host      string    `json:"host"`
	Gates     []string  `json:"gates"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	Uses      int       `json:"uses"`
	Model     string    `json:"model"`    // the recognizer the template is for
	Template  []byte    `json:"template"` // vision/gallery.Encode: little-endian float32s, base64 in JSON
}

// DecodeVisits decodes a visits message. An empty list is valid: it
// removes every visit from the box.
func DecodeVisits(payload []byte) (Visits, error) {
	var v Visits
	if err := decode("visits", payload, MaxVisitsSize, '{', nil, &v); err != nil {
		return Visits{}, err
	}
	switch {
	case v.Version < 1:
		return Visits{}, errorf(ErrInvalid, "visits: version %d, want a positive number", v.Version)
	case len(v.Visits) > MaxVisits:
		return Visits{}, errorf(ErrInvalid, "visits: %d visits, limit %d", len(v.Visits), MaxVisits)
	}
	ids := make(map[string]bool, len(v.Visits))
	for i, vi := range v.Visits {
		if err := vi.check(); err != nil {
			return Visits{}, errorf(ErrInvalid, "visits[%d]: %v", i, err)
		}
		if ids[vi.ID] {
			return Visits{}, errorf(ErrInvalid, "visits[%d]: id %.40q listed twice", i, vi.ID)
		}
		ids[vi.ID] = true
	}
	if v.Visits == nil {
		v.Visits = []Visit{}
	}
	return v, nil
}

// check applies the rules every visit must meet.
func (v Visit) check() error {
	bad := fmt.Errorf
	switch {
	case v.ID == "" || len(v.ID) > MaxVisitIDSize:
		return bad("id must be 1..%d bytes", MaxVisitIDSize)
	case !ValidIDNumber(v.IDNumber):
		return bad("%.40q: id_number must be the card's %d digits", v.ID, idNumberDigits)
	case v.Name == "" || len(v.Name) > MaxNameSize:
		return bad("%.40q: name must be 1..%d bytes", v.ID, MaxNameSize)
	case len(v.Host) > MaxNameSize:
		return bad("%.40q: host longer than %d bytes", v.ID, MaxNameSize)
	case len(v.Gates) == 0 || len(v.Gates) > MaxVisitGates:
		return bad("%.40q: %d gates, want 1..%d", v.ID, len(v.Gates), MaxVisitGates)
	case v.NotBefore.IsZero() || !v.NotBefore.Before(v.NotAfter):
		return bad("%.40q: not_before must be before not_after", v.ID)
	case v.NotAfter.Sub(v.NotBefore) > MaxVisitDuration:
		return bad("%.40q: a visit of %s, limit %s", v.ID, v.NotAfter.Sub(v.NotBefore), MaxVisitDuration)
	case v.NotBefore.Year() < 2000 || v.NotAfter.Year() > 9999:
		return bad("%.40q: times out of range", v.ID)
	case v.Uses < 1 || v.Uses > MaxVisitUses:
		return bad("%.40q: uses %d, want 1..%d", v.ID, v.Uses, MaxVisitUses)
	case v.Model == "" || len(v.Model) > MaxModelSize:
		return bad("%.40q: model must be 1..%d bytes", v.ID, MaxModelSize)
	case len(v.Template) < minTemplateLength || len(v.Template)%4 != 0 || len(v.Template) > 4*MaxGalleryDim:
		return bad("%.40q: template is %d bytes, want 4 per component, 1..%d components", v.ID, len(v.Template), MaxGalleryDim)
	case !usableTemplate(v.Template):
		return bad("%.40q: template has a component that is not a finite number, or is all zeros", v.ID)
	}
	for j, g := range v.Gates {
		if !validAudience(g) {
			return bad("%.40q: gates[%d] %.40q is not a site id or site/gate", v.ID, j, g)
		}
	}
	return nil
}

// ValidIDNumber reports whether s is a chip ID card number: 12 digits.
func ValidIDNumber(s string) bool {
	if len(s) != idNumberDigits {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// validAudience reports whether s is a site id or a gate qualified by its
// site, as a pass's aud names them.
func validAudience(s string) bool {
	if len(s) > maxGateEntrySize {
		return false
	}
	site, gate, qualified := strings.Cut(s, "/")
	return ValidName(site) && (!qualified || ValidName(gate))
}

// usableTemplate reports whether every float32 of t is finite and one is
// not zero: a NaN would match nothing and say nothing of why.
func usableTemplate(t []byte) bool {
	nonZero := false
	for i := 0; i+4 <= len(t); i += 4 {
		x := math.Float32frombits(binary.LittleEndian.Uint32(t[i:]))
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return false
		}
		nonZero = nonZero || x != 0
	}
	return nonZero
}

// CheckVisit applies DecodeVisits' rules to one visit, for the city before
// it publishes.
func CheckVisit(v Visit) error {
	if err := v.check(); err != nil {
		return errorf(ErrInvalid, "visit: %v", err)
	}
	return nil
}
