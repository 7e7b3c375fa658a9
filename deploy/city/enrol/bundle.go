package enrol

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/roomgate/roomgate/deploy/city/issuer"
	"github.com/roomgate/roomgate/provisioning/claim"
	"github.com/roomgate/roomgate/provisioning/est"
)

// File names a box's first config refers to. The certificate, its key and
// the CA are written by enrolment; the rest come in the bundle's Files.
const (
	CAFile      = "ca.pem"
	CertFile    = "device.pem"
	KeyFile     = "device.key"
	CityKeyFile = "city-key.pub"
)

// StorePath is the box's store in its first config: beside the provisioning
// directory (relative paths are taken from it), in the box's state
// directory, so records outlive the next provisioning, which replaces the
// directory whole.
const StorePath = "../roomgate.db"

// MeetingTimeZone is a room's meeting time zone in its first config.
const MeetingTimeZone = "Asia/Ho_Chi_Minh"

// Issuer is a pass issuer every box trusts.
type Issuer struct {
	KID string // the pass header's kid
	Iss string // the pass's iss
	Key []byte // its public key file's content
}

// Template is what every box's first config shares: the broker, the city's
// key, the pass issuers, where boxes renew their certificates and, per kind,
// the peripherals of the city's standard box. Per box, the claim gives the
// identity, the kind and the board.
type Template struct {
	Broker  string // ssl://host:8883
	CityKey []byte // the city-ops public key file's content
	Issuers []Issuer
	// URL is this server's address as boxes reach it (https://host:port),
	// written into the config for renewal; none when empty.
	URL string
	// Peripherals are YAML sections (scanners, camera, terminal, lines...)
	// by kind, added to that kind's first configs as they are.
	Peripherals map[string][]byte
}

// renderedSections are the first config's own: a peripherals file may not
// set them. The store stays out of it too: a store inside the provisioning
// directory would go with the next provisioning.
var renderedSections = []string{"identity", "board", "trust", "sync", "meetings", "provisioning", "store"}

// AddPeripherals reads file, YAML sections of the city's standard box of
// kind, for every first config of that kind.
func (t *Template) AddPeripherals(kind, file string) error {
	if kind != claim.KindRoom && kind != claim.KindGate {
		return fmt.Errorf("enrol: peripherals for %q: want room or gate", kind)
	}
	text, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("enrol: peripherals: %w", err)
	}
	var sections map[string]yaml.Node
	if err := yaml.Unmarshal(text, &sections); err != nil {
		return fmt.Errorf("enrol: peripherals %s: not a YAML mapping: %w", file, err)
	}
	for name := range sections {
		if slices.Contains(renderedSections, name) {
			return fmt.Errorf("enrol: peripherals %s: %s is the first config's own section (set by the claim and the server's flags)", file, name)
		}
	}
	if t.Peripherals == nil {
		t.Peripherals = map[string][]byte{}
	}
	t.Peripherals[kind] = text
	return nil
}

// LoadTemplate builds a template from the city key file and issuers given
// as kid=iss:keyfile.
func LoadTemplate(broker, cityKeyFile string, issuers []string) (Template, error) {
	t := Template{Broker: broker}
	// The box reads both as pass keys: Ed25519 public keys in PEM.
	if _, err := issuer.LoadPublicKey(cityKeyFile); err != nil {
		return Template{}, fmt.Errorf("enrol: city key: %w", err)
	}
	var err error
	if t.CityKey, err = os.ReadFile(cityKeyFile); err != nil {
		return Template{}, fmt.Errorf("enrol: city key: %w", err)
	}
	for _, spec := range issuers {
		var is Issuer
		kid, rest, ok1 := strings.Cut(spec, "=")
		iss, file, ok2 := strings.Cut(rest, ":")
		if !ok1 || !ok2 || kid == "" || file == "" {
			return Template{}, fmt.Errorf("enrol: issuer %q: want kid=iss:keyfile", spec)
		}
		is.KID, is.Iss = kid, iss
		if _, err := issuer.LoadPublicKey(file); err != nil {
			return Template{}, fmt.Errorf("enrol: issuer %s: %w", kid, err)
		}
		if is.Key, err = os.ReadFile(file); err != nil {
			return Template{}, fmt.Errorf("enrol: issuer %s: %w", kid, err)
		}
		t.Issuers = append(t.Issuers, is)
	}
	return t, t.check()
}

func (t Template) check() error {
	u, err := url.Parse(t.Broker)
	if err != nil || u.Scheme != "ssl" || u.Hostname() == "" || u.Port() == "" {
		return fmt.Errorf("enrol: broker %q: want ssl://host:port", t.Broker)
	}
	if len(t.CityKey) == 0 {
		return errors.New("enrol: the city key is empty")
	}
	if len(t.Issuers) == 0 {
		return errors.New("enrol: no pass issuer: a box would accept no pass")
	}
	if t.URL != "" {
		if u, err := url.Parse(t.URL); err != nil || u.Scheme != "https" || u.Hostname() == "" || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("enrol: url %q: want https://host:port", t.URL)
		}
	}
	for _, is := range t.Issuers {
		if err := issuer.CheckKid(is.KID); err != nil {
			return fmt.Errorf("enrol: %w", err)
		}
		if len(is.Key) == 0 {
			return fmt.Errorf("enrol: issuer %s: no key", is.KID)
		}
	}
	return nil
}

// the first config's YAML, in the order a technician reads it.
type (
	firstConfig struct {
		Identity identity    `yaml:"identity"`
		Board    string      `yaml:"board"`
		Trust    trust       `yaml:"trust"`
		Sync     syncSection `yaml:"sync"`
		Store    store       `yaml:"store"`
		Meetings *meetings   `yaml:"meetings,omitempty"`
		Renewal  *renewal    `yaml:"provisioning,omitempty"`
	}
	renewal struct {
		URL string `yaml:"url"`
	}
	identity struct {
		Site   string `yaml:"site"`
		Gate   string `yaml:"gate"`
		Device string `yaml:"device"`
	}
	trust struct {
		Issuers []trustIssuer `yaml:"issuers"`
	}
	trustIssuer struct {
		KID     string `yaml:"kid"`
		Iss     string `yaml:"iss,omitempty"`
		KeyFile string `yaml:"key_file"`
	}
	syncSection struct {
		Broker   string `yaml:"broker"`
		CAFile   string `yaml:"ca_file"`
		CertFile string `yaml:"cert_file"`
		KeyFile  string `yaml:"key_file"`
		CityKey  string `yaml:"city_key"`
	}
	meetings struct {
		TimeZone string `yaml:"time_zone"`
	}
	store struct {
		Path string `yaml:"path"`
	}
)

// Render makes the first config of the box c enrolled.
func (t Template) Render(c Claim) (*est.Bundle, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	cfg := firstConfig{
		Identity: identity{Site: c.Site, Gate: c.Name, Device: c.Device},
		Board:    c.Board,
		Sync:     syncSection{Broker: t.Broker, CAFile: CAFile, CertFile: CertFile, KeyFile: KeyFile, CityKey: CityKeyFile},
		Store:    store{Path: StorePath},
	}
	files := map[string]string{CityKeyFile: string(t.CityKey)}
	for _, is := range t.Issuers {
		name := "issuer-" + is.KID + ".pub"
		cfg.Trust.Issuers = append(cfg.Trust.Issuers, trustIssuer{KID: is.KID, Iss: is.Iss, KeyFile: name})
		files[name] = string(is.Key)
	}
	if c.Kind == claim.KindRoom {
		cfg.Meetings = &meetings{TimeZone: MeetingTimeZone}
	}
	if t.URL != "" {
		cfg.Renewal = &renewal{URL: strings.TrimSuffix(t.URL, "/")}
	}
	text, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("enrol: %w", err)
	}
	// The sections differ from the rendered ones (AddPeripherals), so the
	// two mappings join as one.
	if p := t.Peripherals[c.Kind]; len(p) > 0 {
		text = append(append(text, "# the city's standard "+c.Kind+"\n"...), p...)
	}
	b := &est.Bundle{Device: c.Device, Kind: c.Kind, Site: c.Site, Config: string(text), Files: files}
	if err := b.Check(); err != nil {
		return nil, fmt.Errorf("enrol: %w", err)
	}
	return b, nil
}
