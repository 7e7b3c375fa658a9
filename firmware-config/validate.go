package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/roomgate/roomgate/agent/pass"
)

// validate checks a decoded config with defaults applied. set names the
// fields the config gave; dir is where relative key files are.
func (c *Config) validate(r *report, set map[string]bool, dir string) {
	waiting := c.Unprovisioned() && set["provisioning"]
	if !waiting {
		c.checkIdentity(r)
	}
	checkFields(r, "", reflect.ValueOf(c).Elem())
	if !waiting {
		c.lines(r) // a box waiting for provisioning drives no door yet
	}
	c.checkScanners(r, set)
	c.checkIssuers(r, dir)
	httpPort := checkListen(r, "http.listen", c.HTTP.Listen, "127.0.0.1:8080")
	if port := checkListen(r, "metrics.listen", c.Metrics.Listen, "127.0.0.1:9110"); port > 0 && port == httpPort {
		r.add("metrics.listen", "port %d is the kiosk's (http.listen): the metrics need a listener of their own, off the public kiosk", port)
	}
	c.checkSync(r, dir)
	c.checkRenewal(r)
	c.Vision.check(r, set, dir)
	c.checkMeetingsAndKiosk(r)
	c.Terminal.check(r, set, dir)
	c.checkCCCD(r)
	if c.Policy.MaxPassLifetime <= durationLimits["policy.max_pass_lifetime"][1] && c.Store.Retention.Uses <= c.Policy.MaxPassLifetime+c.Policy.ClockSkew {
		// A use count purged while its pass is still valid gives the pass its uses back.
		r.add("store.retention.uses", "%s must be longer than policy.max_pass_lifetime (%s) and clock_skew", c.Store.Retention.Uses, c.Policy.MaxPassLifetime)
	}
	for i, id := range c.Trust.Revoked {
		if strings.TrimSpace(id) == "" {
			r.add(fmt.Sprintf("trust.revoked[%d]", i), "empty pass id")
		}
	}
}

// checkListen checks a host:port to listen on and returns its port; 0
// when it is empty, invalid or any free port.
func checkListen(r *report, field, l, example string) int {
	if l == "" {
		return 0
	}
	_, port, err := net.SplitHostPort(l)
	if err != nil {
		r.add(field, "want host:port like %s, got %s", example, quote(l))
		return 0
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		r.add(field, "port %s is not a number from 0 (any free port) to 65535", quote(port))
		return 0
	}
	return n
}

// checkCCCD accepts chip ID cards only where their second factor can be
// checked: a forged card QR would otherwise open the door for any visit the
// city registered.
func (c *Config) checkCCCD(r *report) {
	const need = "a chip ID card QR is unsigned, so the gate checks the visitor's face at the camera against the template registered with the visit"
	switch {
	case !c.Policy.AllowCCCD:
	case !faceEngineBuilt:
		r.add("policy.allow_cccd", "%s: that needs the vision build of roomgate (-tags vision, OpenCV) and a camera; this build has no face engine, so leave allow_cccd off", need)
	case !c.Vision.HasCamera():
		r.add("policy.allow_cccd", "%s: that needs a camera at the gate (vision.camera); leave allow_cccd off without one", need)
	}
}

// checkIdentity requires the box's names. Only a config that gives none of
// them and names the provisioning directory instead goes without: the
// package's default, which waits for provisioning to write the box's own.
func (c *Config) checkIdentity(r *report) {
	for _, f := range []struct{ path, value string }{
		{"identity.site", c.Identity.Site}, {"identity.gate", c.Identity.Gate}, {"identity.device", c.Identity.Device},
	} {
		if f.value == "" {
			r.add(f.path, "required: want %s", patterns[f.path].want)
		}
	}
}

// checkFields applies the rule tables to v and everything in it. Maps (the
// GPIO section) are checked by lines, once merged with the board profile.
func checkFields(r *report, path string, v reflect.Value) {
	rp := rulePath(path)
	switch {
	case v.Type() == durationType:
		d := Duration(v.Int())
		if lim, ok := durationLimits[rp]; ok && (d < lim[0] || d > lim[1]) {
			r.add(path, "%s is out of range: want %s to %s", d, lim[0], lim[1])
		}
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
			if v.Field(i).Kind() != reflect.Map {
				checkFields(r, join(path, name), v.Field(i))
			}
		}
	case v.Kind() == reflect.Slice:
		for i := range v.Len() {
			checkFields(r, fmt.Sprintf("%s[%d]", path, i), v.Index(i))
		}
	case v.Kind() == reflect.String:
		s := v.String()
		enum, isEnum := enums[rp]
		pat, hasPat := patterns[rp]
		switch {
		case s == "":
			if !required[rp] {
				return
			}
			switch {
			case isEnum:
				r.add(path, "required: want one of %s", strings.Join(enum, ", "))
			case hasPat:
				r.add(path, "required: want %s", pat.want)
			default:
				r.add(path, "required")
			}
		case isEnum && !slices.Contains(enum, s):
			r.add(path, "%s is not allowed%s", quote(s), oneOf(s, enum))
		case hasPat && !pat.re.MatchString(s) && secret[rp]:
			r.add(path, "not %s: want %s (the value is not shown)", pat.what, pat.want)
		case hasPat && !pat.re.MatchString(s):
			r.add(path, "%s is not %s: want %s", quote(s), pat.what, pat.want)
		}
	case v.Kind() == reflect.Int:
		n := int(v.Int())
		if lim, ok := intLimits[rp]; ok && (n < lim[0] || n > lim[1]) {
			r.add(path, "%d is out of range: want %d to %d", n, lim[0], lim[1])
		}
	case v.Kind() == reflect.Float32 || v.Kind() == reflect.Float64:
		// Compared at the field's own precision, so that a float32 0.3
		// is not above a limit of 0.3.
		f, bits := v.Float(), v.Type().Bits()
		if lim, ok := floatLimits[rp]; ok && (f < atBits(lim[0], bits) || f > atBits(lim[1], bits)) {
			r.add(path, "%s is out of range: want %s to %s", formatFloat(f, bits), formatFloat(lim[0], 64), formatFloat(lim[1], 64))
		}
	}
}

// atBits rounds f to a float of that many bits.
func atBits(f float64, bits int) float64 {
	if bits == 32 {
		return float64(float32(f))
	}
	return f
}

// formatFloat writes f as short as its precision allows: 0.3, not 0.30000001192092896.
func formatFloat(f float64, bits int) string { return strconv.FormatFloat(f, 'g', -1, bits) }

func (c *Config) checkScanners(r *report, set map[string]bool) {
	names := map[string]int{}
	paths := map[string]int{}
	for i, s := range c.Scanners {
		at := fmt.Sprintf("scanners[%d].", i)
		if first, dup := names[s.Name]; dup && s.Name != "" {
			r.add(at+"name", "duplicate scanner name %s (also scanners[%d])", quote(s.Name), first)
		} else {
			names[s.Name] = i
		}
		if s.Path == "" {
			if s.Type == "serial" || s.Type == "hid" {
				r.add(at+"path", "required for a %s scanner", s.Type)
			}
			continue
		}
		if first, dup := paths[s.Path]; dup {
			r.add(at+"path", "%s is already used by scanners[%d]", quote(s.Path), first)
		}
		paths[s.Path] = i
		switch s.Type {
		case "serial":
			if _, err := filepath.Match(s.Path, ""); err != nil {
				r.add(at+"path", "%s is not a valid path or glob: %v", quote(s.Path), err)
			}
			if !slices.Contains(bauds, s.Baud) {
				r.add(at+"baud", "%d is not a serial speed: want one of %s", s.Baud, joinInts(bauds))
			}
		case "hid":
			if set[at+"baud"] {
				r.add(at+"baud", "applies to serial scanners only")
			}
			if filepath.IsAbs(s.Path) && !underDir(s.Path, "/dev/input") && !underDir(s.Path, os.TempDir()) {
				r.add(at+"path", "%s is not an input device: want a path under /dev/input/ (a serial port needs type: serial)", quote(s.Path))
			}
		}
	}
}

func (c *Config) checkIssuers(r *report, dir string) {
	kids := map[string]int{}
	for i, is := range c.Trust.Issuers {
		at := fmt.Sprintf("trust.issuers[%d].", i)
		if first, dup := kids[is.Kid]; dup && is.Kid != "" {
			r.add(at+"kid", "duplicate kid %s (also trust.issuers[%d])", quote(is.Kid), first)
		} else {
			kids[is.Kid] = i
		}
		switch {
		case is.PublicKey == "" && is.KeyFile == "":
			r.add(at+"public_key", "required: give public_key or key_file")
		case is.PublicKey != "" && is.KeyFile != "":
			r.add(at+"key_file", "give public_key or key_file, not both")
		case is.PublicKey != "":
			if _, err := pass.ParsePublicKey([]byte(is.PublicKey)); err != nil {
				r.add(at+"public_key", "%v", err)
			}
		default:
			if _, err := is.key(dir); err != nil {
				r.add(at+"key_file", "%v", err)
			}
		}
	}
}

// underDir reports whether path lies inside dir.
func underDir(path, dir string) bool {
	rel, err := filepath.Rel(dir, filepath.Clean(path))
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, "../")
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

// checkSync needs a TLS broker URL and the box's certificate files when a broker is set.
// checkRenewal checks the enrolment server a box renews its certificate
// with: HTTPS, and only for a box whose certificate is its link's.
func (c *Config) checkRenewal(r *report) {
	raw := c.Provisioning.URL
	if raw == "" {
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		r.add("provisioning.url", "want the enrolment server as https://host:port, got %s", quote(raw))
	case c.Sync.CertFile == "" || c.Sync.KeyFile == "" || c.Sync.CAFile == "":
		r.add("provisioning.url", "renews the certificate of sync.cert_file with sync.key_file, checked against sync.ca_file: set all three")
	}
}

func (c *Config) checkSync(r *report, dir string) {
	y := c.Sync
	if y.Broker == "" {
		return
	}
	u, err := url.Parse(y.Broker)
	if err != nil || (u.Scheme != "ssl" && u.Scheme != "tls" && u.Scheme != "mqtts") || u.Host == "" {
		r.add("sync.broker", "want a TLS broker URL like ssl://broker.city.gov.vn:8883, got %s", quote(y.Broker))
	}
	for _, f := range []struct{ field, path string }{{"sync.ca_file", y.CAFile}, {"sync.cert_file", y.CertFile}, {"sync.key_file", y.KeyFile}} {
		field, path := f.field, f.path
		if path == "" {
			r.add(field, "required when sync.broker is set")
			continue
		}
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		if _, err := os.Stat(path); err != nil {
			r.add(field, "cannot read %s: %v", quote(path), errors.Unwrap(err))
		}
	}
	if y.AckTimeoutMax < y.AckTimeoutMin {
		r.add("sync.ack_timeout_max", "%s is shorter than sync.ack_timeout_min %s", y.AckTimeoutMax, y.AckTimeoutMin)
	}
	if y.BackoffMax < y.BackoffMin {
		r.add("sync.backoff_max", "%s is shorter than sync.backoff_min %s", y.BackoffMax, y.BackoffMin)
	}
	if y.CityKey != "" {
		if _, err := readPublicKeyFile(dir, y.CityKey); err != nil {
			r.add("sync.city_key", "%v", err)
		}
	}
}
