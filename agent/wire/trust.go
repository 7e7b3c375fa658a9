package wire

import "encoding/base64"

// Limits of a trust message.
const (
	MaxTrustSize   = 16 << 20
	MaxIssuers     = 100
	MaxRevoked     = 100_000
	MaxKidSize     = 128
	MaxIssSize     = 256
	MaxPassIDSize  = 128 // a pass's jti, as agent/pass bounds it
	publicKeyBytes = 32  // Ed25519
)

// Trust is the pass issuers' keys and the revoked pass ids the city
// publishes, retained, on trust. It replaces the previous one whole.
type Trust struct {
	Version int64         `json:"version"`
	Issuers []TrustIssuer `json:"issuers"`
	Revoked []string      `json:"revoked"` // pass ids (jti)

	// Set by the city when it signs the message (agent/citysign checks them).
	Device   string `json:"dev,omitempty"` // the one box this is for
	IssuedAt int64  `json:"iat,omitempty"` // Unix seconds
}

// TrustIssuer is one pass issuer's Ed25519 public key.
type TrustIssuer struct {
	Kid       string `json:"kid"`
	Iss       string `json:"iss"`        // expected iss claim; empty accepts any
	PublicKey string `json:"public_key"` // base64url, unpadded, 32 bytes
}

// Key returns the issuer's raw public key.
func (i TrustIssuer) Key() ([]byte, error) {
	k, err := base64.RawURLEncoding.DecodeString(i.PublicKey)
	if err != nil || len(k) != publicKeyBytes {
		return nil, errorf(ErrInvalid, "trust: issuer %.40q: public_key is not base64url of %d bytes", i.Kid, publicKeyBytes)
	}
	return k, nil
}

// DecodeTrust decodes a trust message. Issuers and revoked may be empty or
// absent (a city that trusts nobody yet); kids and pass ids must be unique.
func DecodeTrust(payload []byte) (Trust, error) {
	var t Trust
	if err := decode("trust", payload, MaxTrustSize, '{', nil, &t); err != nil {
		return Trust{}, err
	}
	switch {
	case t.Version < 1:
		return Trust{}, errorf(ErrInvalid, "trust: version %d, want a positive number", t.Version)
	case len(t.Issuers) > MaxIssuers:
		return Trust{}, errorf(ErrInvalid, "trust: %d issuers, limit %d", len(t.Issuers), MaxIssuers)
	case len(t.Revoked) > MaxRevoked:
		return Trust{}, errorf(ErrInvalid, "trust: %d revoked, limit %d", len(t.Revoked), MaxRevoked)
	}
	kids := make(map[string]bool, len(t.Issuers))
	for i, is := range t.Issuers {
		switch {
		case is.Kid == "" || len(is.Kid) > MaxKidSize:
			return Trust{}, errorf(ErrInvalid, "trust: issuers[%d]: kid must be 1..%d bytes", i, MaxKidSize)
		case kids[is.Kid]:
			return Trust{}, errorf(ErrInvalid, "trust: issuers[%d]: kid %.40q listed twice", i, is.Kid)
		case len(is.Iss) > MaxIssSize:
			return Trust{}, errorf(ErrInvalid, "trust: issuers[%d]: iss longer than %d bytes", i, MaxIssSize)
		}
		if _, err := is.Key(); err != nil {
			return Trust{}, err
		}
		kids[is.Kid] = true
	}
	revoked := make(map[string]bool, len(t.Revoked))
	for i, id := range t.Revoked {
		switch {
		case id == "" || len(id) > MaxPassIDSize:
			return Trust{}, errorf(ErrInvalid, "trust: revoked[%d]: must be 1..%d bytes", i, MaxPassIDSize)
		case revoked[id]:
			return Trust{}, errorf(ErrInvalid, "trust: revoked[%d]: %.40q listed twice", i, id)
		}
		revoked[id] = true
	}
	if t.Issuers == nil {
		t.Issuers = []TrustIssuer{}
	}
	if t.Revoked == nil {
		t.Revoked = []string{}
	}
	return t, nil
}
