package config

import (
	"time"

	"github.com/roomgate/roomgate/devices/terminal/generic"
	"github.com/roomgate/roomgate/vision/quality"
)

// Config is one box's configuration, as read from YAML.
type Config struct {
	Identity Identity      `yaml:"identity"`
	Board    string        `yaml:"board"` // rpi4, rpi5, generic or sim; chooses the default GPIO map
	GPIO     map[Role]Line `yaml:"gpio"`  // overrides and additions to the board profile, by role
	Scanners []Scanner     `yaml:"scanners"`
	Policy   Policy        `yaml:"policy"`
	Trust    Trust         `yaml:"trust"`
	Store    Store         `yaml:"store"`
	HTTP     HTTP          `yaml:"http"`
	Metrics  Metrics       `yaml:"metrics"`
	Sync     Sync          `yaml:"sync"`
	Vision   Vision        `yaml:"vision"`
	Meetings Meetings      `yaml:"meetings"`
	Kiosk    Kiosk         `yaml:"kiosk"`
	Terminal Terminal      `yaml:"terminal"`
	// Provisioning is where the box's config from the city is written; a
	// config without identity (the package's) runs the box from there.
	Provisioning Provisioning `yaml:"provisioning"`
}

// Provisioning names the directory provisioning writes: roomgate.yaml (the
// box's config from the city, its relative paths taken from this directory),
// device.key, device.pem, ca.pem and city-key.pub. In the city's config, URL
// is the enrolment server the box renews its certificate with.
type Provisioning struct {
	Dir string `yaml:"dir"` // /var/lib/roomgate/provisioning by default
	URL string `yaml:"url"` // https://host:port of the city's enrolment server (EST); no renewal when empty
}

// Unprovisioned reports whether this config names no box: the package's
// default, which waits for provisioning to write the box's own config.
func (c *Config) Unprovisioned() bool { return c.Identity == Identity{} }

// Terminal is the room's video-conference terminal, which the box wakes
// and dials onto each meeting's bridge. A box without one leaves the
// section out. It is reached one way: port, address or sim.
type Terminal struct {
	Name           string             `yaml:"name"`            // used in logs, status and call records
	Kind           string             `yaml:"kind"`            // poly (Group Series, HDX, G7500 API), cisco (xAPI) or generic (a line protocol defined here)
	Sim            bool               `yaml:"sim"`             // a simulated terminal of this kind, made by the agent (the demo); a generic one is the VCT-100 of examples/terminals/vct-100.yaml
	Port           string             `yaml:"port"`            // RS-232: device path or glob (e.g. /dev/serial/by-id/usb-FTDI*)
	Baud           int                `yaml:"baud"`            // RS-232 only
	Address        string             `yaml:"address"`         // network, host:port: a Poly's API port (24), a generic terminal's TCP port, a Cisco's SSH port (22)
	User           string             `yaml:"user"`            // cisco over SSH: the user
	PasswordFile   string             `yaml:"password_file"`   // poly: the API password; generic: the login password; cisco over SSH: the user's password. A file readable by the agent only, relative to the config file
	KeyFile        string             `yaml:"key_file"`        // cisco over SSH: the user's private key instead of a password, readable by the agent only
	HostKey        string             `yaml:"host_key"`        // cisco over SSH: the terminal's host key, pinned: its public key line (ssh-ed25519 AAAA…) or its SHA256: fingerprint
	Timeout        Duration           `yaml:"timeout"`         // how long a command's reply may take; a terminal silent this long is down
	Poll           Duration           `yaml:"poll"`            // how often the calls are asked for, so that a missed notification or an unplugged terminal is noticed
	Generic        generic.Definition `yaml:"generic"`         // kind generic: the terminal's line protocol
	DefinitionFile string             `yaml:"definition_file"` // kind generic: the protocol in a file of its own instead, relative to the config file
	Calls          CallRules          `yaml:"calls"`           // when the box joins and leaves a meeting's bridge
}

// CallRules are when the box joins a meeting's bridge and leaves it. A
// call the box did not place is never dialled over or hung up.
type CallRules struct {
	JoinBefore   Duration `yaml:"join_before"`    // wake the terminal and dial this long before the meeting starts
	HangUpAfter  Duration `yaml:"hang_up_after"`  // hang up this long after the meeting ends, unless the next meeting is on the same bridge
	RedialOnDrop bool     `yaml:"redial_on_drop"` // dial again when the call drops during the meeting
	RetryMin     Duration `yaml:"retry_min"`      // the first wait before dialling again after a failed dial; it doubles up to retry_max
	RetryMax     Duration `yaml:"retry_max"`      // the longest wait between dials
}

// Meetings are the attendance rules of a meeting room.
type Meetings struct {
	File         string   `yaml:"file"`          // a local schedule (JSON, as the city sends it on meetings) used until the city sends one; relative to the config file
	TimeZone     string   `yaml:"time_zone"`     // whose calendar days the kiosk's "today" follows (an IANA name)
	LateAfter    Duration `yaml:"late_after"`    // grace after a meeting's start before a check-in is marked late
	NonInvitees  string   `yaml:"non_invitees"`  // a recognised person not invited to the open meeting: notice (told, no record) or record
	GreetingHold Duration `yaml:"greeting_hold"` // how long the kiosk shows a greeting card
}

// Kiosk is the touch screen's web UI.
type Kiosk struct {
	Language      string `yaml:"language"`       // vi or en, what the screen starts in
	SecretaryPIN  string `yaml:"secretary_pin"`  // opens manual check-in and the attendance export; empty turns that view off
	TechnicianPIN string `yaml:"technician_pin"` // opens device health, versions, gallery and outbox; empty turns that view off
	AllowRemote   bool   `yaml:"allow_remote"`   // serve other machines when http.listen is not loopback; off, only this machine's screen is answered
}

// Identity names the box for the city. The names end up in MQTT topics and
// in the device certificate's CN, hence the strict pattern.
type Identity struct {
	Site   string `yaml:"site"`   // site id: lowercase letters, digits and '-'
	Gate   string `yaml:"gate"`   // gate or room id; a pass's aud must name the site, or this gate as site/gate
	Device string `yaml:"device"` // device id, unique in the city; the certificate CN
}

// Role is what a GPIO line does at the door.
type Role string

const (
	RoleRelay      Role = "relay"       // output: the door strike or magnetic lock
	RoleDoorSensor Role = "door_sensor" // input: on while the door is open
	RoleExitButton Role = "exit_button" // input: on while the request-to-exit button is pressed
	RoleGreenLED   Role = "green_led"   // output: lit on a grant
	RoleRedLED     Role = "red_led"     // output: lit on a denial
	RoleBuzzer     Role = "buzzer"      // output: sounds on a denial or an alarm
)

// Line is one GPIO line: chip ("gpiochip0", "/dev/gpiochip4" or "label:pinctrl-rp1"), offset and polarity.
type Line struct {
	Chip      string   `yaml:"chip"`       // gpiochip0, /dev/gpiochip4, or label:<chip label> (label:pinctrl-rp1 on a Pi 5)
	Offset    int      `yaml:"line"`       // line offset on the chip (the BCM number on a Pi header)
	ActiveLow bool     `yaml:"active_low"` // on means the line is low (inputs switched to ground, low-side relay boards)
	Debounce  Duration `yaml:"debounce"`   // inputs only
	Bias      string   `yaml:"bias"`       // inputs only: pull-up, pull-down or disabled; empty leaves it as it is
}

// Scanner is one QR scanner: a serial port or a USB keyboard-wedge input device.
type Scanner struct {
	Name       string `yaml:"name"`       // unique name used in logs and status
	Type       string `yaml:"type"`       // serial or hid
	Path       string `yaml:"path"`       // serial: device path or glob (e.g. /dev/serial/by-id/usb-Newland*); hid: /dev/input/eventN or by-id path; relative paths (tests, sim) are taken from the config file's directory
	Baud       int    `yaml:"baud"`       // serial only
	Terminator string `yaml:"terminator"` // cr, lf, crlf or any
	MaxLength  int    `yaml:"max_length"` // bytes; longer lines are discarded as garbage
}

// Policy holds the gate's decisions.
type Policy struct {
	Pulse           Duration `yaml:"pulse"`             // how long the relay stays open on a grant
	SafeState       string   `yaml:"safe_state"`        // fail-secure (locked when halted) or fail-safe (released when halted)
	ClockSkew       Duration `yaml:"clock_skew"`        // tolerance on nbf/exp
	AntiPassback    Duration `yaml:"anti_passback"`     // a pass cannot be used again within this window
	HeldOpenAfter   Duration `yaml:"held_open_after"`   // door open longer than this raises an alarm
	UnsyncedClock   string   `yaml:"unsynced_clock"`    // deny, or allow (record flagged)
	ClockSource     string   `yaml:"clock_source"`      // kernel (adjtimex), timesyncd (/run/systemd/timesync/synchronized) or trusted (tests, sim)
	AllowCCCD       bool     `yaml:"allow_cccd"`        // take chip ID card QRs (unsigned: anyone can print one) for visits the city registered, each only with the visitor's face at the camera as second factor; needs the vision build and a camera
	Indicator       Duration `yaml:"indicator"`         // how long the green/red LED stays lit
	MaxPassLifetime Duration `yaml:"max_pass_lifetime"` // a pass valid for longer (exp after nbf, else iat, else now) is refused: lifetime_too_long
	CCCDFace        CCCDFace `yaml:"cccd_face"`         // the face check a chip ID card needs (allow_cccd)
}

// CCCDFace is the second factor of a chip ID card: the face at the gate's
// camera against the template the city registered with the visit.
type CCCDFace struct {
	Threshold float32  `yaml:"threshold"` // the cosine score the face must reach; one face against one template, so no gallery's crowd raises it
	Within    Duration `yaml:"within"`    // how long the camera looks for the face after the card is scanned
}

// Trust holds pass issuers' keys and revoked pass ids known at start; the city may add more later.
type Trust struct {
	Issuers []Issuer `yaml:"issuers"`
	Revoked []string `yaml:"revoked"` // pass ids (jti) refused at this gate
}

// Issuer is one pass issuer's Ed25519 public key.
type Issuer struct {
	Kid       string `yaml:"kid"`        // key id, as in the pass header
	Iss       string `yaml:"iss"`        // expected iss claim; empty accepts any
	PublicKey string `yaml:"public_key"` // base64url (raw 32 bytes) or PEM (SubjectPublicKeyInfo)
	KeyFile   string `yaml:"key_file"`   // alternatively a PEM file, relative to the config file
}

// Store says where records are kept, how face templates are sealed there,
// and for how long records are kept.
type Store struct {
	Path      string    `yaml:"path"`      // SQLite database file
	KeyFile   string    `yaml:"key_file"`  // the key that seals face templates in the store: 32 random bytes, readable by the agent only, made on first start; empty: roomgate.key beside the database
	Retention Retention `yaml:"retention"` // how long records are kept on the box
}

// Retention is how long the box keeps each kind of record, counted from
// when it happened. A record the city has not acknowledged is never
// purged, however old; a purge runs at start and then daily.
type Retention struct {
	Entries    Duration `yaml:"entries"`     // scans at the gate and their decisions
	Attendance Duration `yaml:"attendance"`  // check-ins to meetings
	DoorEvents Duration `yaml:"door_events"` // what the door did
	Actions    Duration `yaml:"actions"`     // what secretaries and technicians did at the kiosk (kept on the box only)
	Uses       Duration `yaml:"uses"`        // pass and visit use counts, from their last use: longer than any pass is valid, or a one-time pass works again
	Staging    Duration `yaml:"staging"`     // a city gallery left half received
}

// HTTP is the local status page and API.
type HTTP struct {
	Listen string `yaml:"listen"` // host:port; 127.0.0.1:8080 by default; empty string disables
}

// Metrics is the Prometheus endpoint the city's monitoring scrapes. It has
// a listener of its own, never the kiosk's: the kiosk faces the public at
// the gate, the metrics only the city's management network.
type Metrics struct {
	Listen string `yaml:"listen"` // host:port serving /metrics, e.g. 127.0.0.1:9110; empty (the default) serves none
}

// Sync is the link to the city's MQTT broker. Records wait in the store's
// outbox until the city acknowledges them; without a broker they just wait.
type Sync struct {
	Broker      string   `yaml:"broker"`       // ssl://host:8883; empty keeps records on the box
	CAFile      string   `yaml:"ca_file"`      // the city CA that signed the broker's certificate
	CertFile    string   `yaml:"cert_file"`    // this box's client certificate (CN = identity.device)
	KeyFile     string   `yaml:"key_file"`     // its private key
	AckMode     string   `yaml:"ack_mode"`     // city (forget events when the city acks them) or puback (when the broker does)
	BatchEvents int      `yaml:"batch_events"` // events per message at most
	BatchBytes  int      `yaml:"batch_bytes"`  // bytes per message at most
	Window      int      `yaml:"window"`       // messages waiting for their ack at once, at most: the link starts at 4 and grows while acks come back in time
	AckTimeout  Duration `yaml:"ack_timeout"`  // resend what was not acknowledged after this, until acks were timed
	Retention   Duration `yaml:"retention"`    // keep acknowledged events this long, then purge
	OutboxCap   int      `yaml:"outbox_cap"`   // raise an alarm when this many events wait (none is dropped)
	BackoffMin  Duration `yaml:"backoff_min"`  // first reconnect delay
	BackoffMax  Duration `yaml:"backoff_max"`  // longest reconnect delay (with jitter)
	StateEvery  Duration `yaml:"state_every"`  // how often the box publishes its state
	CityKey     string   `yaml:"city_key"`     // the city's Ed25519 signing key, a PEM PUBLIC KEY file: config, trust and commands must carry its signature; without it the box takes none of them

	AckTimeoutMin Duration `yaml:"ack_timeout_min"` // shortest ack timeout once acks were timed: it follows their round trip (smoothed + 4 × its variation, doubled on each timeout); a shorter ack_timeout lowers it
	AckTimeoutMax Duration `yaml:"ack_timeout_max"` // longest ack timeout; a longer ack_timeout raises it
}

// Vision is the face check-in engine. Without a camera (the section or its
// camera left out) the box is QR-only. Thresholds left out take the vision
// packages' own defaults.
type Vision struct {
	Camera          Camera         `yaml:"camera"`
	DetectorModel   string         `yaml:"detector_model"`   // where the YuNet 2022mar ONNX file is (its sha256 is checked: OpenCV 4.6 runs no other); empty uses the shipped vision/models copy
	DetectWidth     int            `yaml:"detect_width"`     // px: wider frames are searched for faces on a copy scaled down to this width (detection's cost grows with the pixels; faces are then cut from the whole frame)
	Recognizer      string         `yaml:"recognizer"`       // the shipped recognition model: dlib_resnet_v1 (public domain, the one a city may deploy) or mobilefacenet_y1 (research only, for comparison); its name, input, threshold and fit are the defaults
	RecognizerModel string         `yaml:"recognizer_model"` // another ONNX file aligned as vision.recognizer's model is; empty uses the shipped file
	RecognizerName  string         `yaml:"recognizer_name"`  // names the model's templates in the store and the city's galleries; a custom recognizer_model needs its own
	RecognizerInput int            `yaml:"recognizer_input"` // px, the side of the aligned face the model takes (112 for cv::FaceRecognizerSF)
	Threshold       float32        `yaml:"threshold"`        // cosine similarity a frame's best match must reach; the agreement rule's threshold too
	MatchThreshold  float32        `yaml:"match_threshold"`  // cosine at which two photos are taken as one person when enrolling (another person's face refused, a person's own new photo accepted); the recogniser's 1:1 figure
	SHA256          string         `yaml:"sha256"`           // of a custom recognizer_model, checked when the engine loads it
	Precision       string         `yaml:"precision"`        // gallery templates in memory: float32, or int8 (a quarter of the size, slightly less exact)
	Quality         quality.Config `yaml:"quality"`          // the quality gate: a face that fails is not recognised
	Decision        string         `yaml:"decision"`         // how a tracked face is named: sequential (its frames' evidence adds up to a bound, vision.evidence; the default) or vote (k of n frames agree, vision.agreement; the default for a recognizer_model without a fitted vision.evidence)
	Agreement       Agreement      `yaml:"agreement"`        // how many frames must agree before a person is named; with decision sequential only min_iou and lost apply
	Evidence        Evidence       `yaml:"evidence"`         // the sequential rule: per-frame likelihoods fitted by visionbench -sections fit, and its bounds
	QR              bool           `yaml:"qr"`               // decode QR codes in camera frames and hand them to the gate like a scanner's

	voteWithoutFit bool // decision left out, and the vote chosen because the recognizer has no fitted evidence
}

// Camera is the check-in camera.
type Camera struct {
	Name   string   `yaml:"name"`    // used in logs and status
	Kind   string   `yaml:"kind"`    // v4l2, rtsp, file (a video, looped) or folder (of .jpg and .png images, looped)
	Path   string   `yaml:"path"`    // v4l2: /dev/videoN or a /dev/v4l/by-id/ path; rtsp: an rtsp:// or rtsps:// URL; file, folder: relative paths are taken from the config file's directory
	Width  int      `yaml:"width"`   // px asked of the device; 0 with height 0 keeps its own size
	Height int      `yaml:"height"`  // px asked of the device
	MaxFPS float64  `yaml:"max_fps"` // frames handed to the engine per second at most; 0 takes them as they come
	Retry  Duration `yaml:"retry"`   // wait before reopening a lost source
}

// Agreement is the k-of-n rule over a tracked face's frames (track.Config
// without its threshold, which is vision.threshold).
type Agreement struct {
	MinMargin float32  `yaml:"min_margin"` // cosine the best match must lead the runner-up person by
	Agree     int      `yaml:"agree"`      // k: frames that must name the same person...
	Frames    int      `yaml:"frames"`     // n: ...among the face's last n frames
	Window    Duration `yaml:"window"`     // frames older than this do not count
	Spacing   Duration `yaml:"spacing"`    // a frame votes only this long after the face's last vote: a fast camera's frames show the same instant
	MinIoU    float32  `yaml:"min_iou"`    // box overlap that continues a track from one frame to the next
	Lost      Duration `yaml:"lost"`       // a face unseen this long is gone
}

// Evidence is the sequential rule over a tracked face's frames
// (track.Evidence). Its likelihoods belong to one recognition model: the
// defaults are MobileFaceNet's; dlib_resnet_v1 and a custom
// recognizer_model need their own fit (vision/README.md).
type Evidence struct {
	Intercept   float32  `yaml:"intercept"`    // a frame's log likelihood ratio, in nats, is intercept + people_slope·ln(gallery's people/people) + score·best + margin·(best − runner-up)
	Score       float32  `yaml:"score"`        // weight of the best match's cosine
	Margin      float32  `yaml:"margin"`       // weight of its lead over the runner-up person
	Cap         float32  `yaml:"cap"`          // no frame adds more than this or less than −cap: frames of one face are correlated
	Accept      float32  `yaml:"accept"`       // evidence that names the person; more than cap, so one frame never does
	Reject      float32  `yaml:"reject"`       // evidence against everyone that calls the face unknown
	Spacing     Duration `yaml:"spacing"`      // frames closer than this count in part, so a faster or duplicating camera decides no sooner
	Patience    Duration `yaml:"patience"`     // a face with no usable frame this long is unknown, for the reason seen most
	People      int      `yaml:"people"`       // the gallery's size (people enrolled) the intercept is for; a smaller gallery keeps it
	PeopleSlope float32  `yaml:"people_slope"` // nats the intercept gains per e-fold more people than that: a larger gallery crowds the runner-up closer; 0 ignores the gallery's size
}

// Duration is a time.Duration written as "300ms", "5s", "2m" in YAML.
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
