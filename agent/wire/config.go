package wire

// MaxConfigSize bounds a config message.
const MaxConfigSize = 256 << 10

// Config is the desired config the city publishes, retained, on config.
type Config struct {
	Version int64  `json:"version"` // increases with every change
	YAML    string `json:"yaml"`    // the box's config file

	// Set by the city when it signs the message (agent/citysign checks them).
	Device   string `json:"dev,omitempty"` // the one box this is for
	IssuedAt int64  `json:"iat,omitempty"` // Unix seconds
}

// DecodeConfig decodes a config: a positive version and non-empty YAML.
// Whether the YAML is a valid config is for the box to decide.
func DecodeConfig(payload []byte) (Config, error) {
	var c Config
	if err := decode("config", payload, MaxConfigSize, '{', nil, &c); err != nil {
		return Config{}, err
	}
	switch {
	case c.Version < 1:
		return Config{}, errorf(ErrInvalid, "config: version %d, want a positive number", c.Version)
	case c.YAML == "":
		return Config{}, errorf(ErrInvalid, "config: yaml missing or empty")
	}
	return c, nil
}
