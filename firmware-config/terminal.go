package config

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/roomgate/roomgate/devices/terminal/generic"
)

// HasTerminal reports whether the box drives a conference terminal.
func (c *Config) HasTerminal() bool { return c.Terminal.Kind != "" }

// Password reads terminal.password_file, relative to dir unless absolute:
// its first line without the line end. It is "" when no file is named.
func (t Terminal) Password(dir string) (string, error) {
	if t.PasswordFile == "" {
		return "", nil
	}
	path := t.PasswordFile
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("config: terminal.password_file: %w", err)
	}
	pw, _, _ := strings.Cut(string(data), "\n")
	pw = strings.TrimSuffix(pw, "\r")
	if pw == "" || len(pw) > 256 || strings.IndexFunc(pw, unicode.IsControl) >= 0 {
		// The password is not shown: the error may end up in a log.
		return "", fmt.Errorf("config: terminal.password_file %s: want the password on the first line, 1 to 256 bytes, no control characters", path)
	}
	return pw, nil
}

// sshKeyTypes are the host key types a Cisco codec may offer.
var sshKeyTypes = []string{"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"}

// fingerprintRE is a SHA256 fingerprint as ssh-keygen -l prints it.
var fingerprintRE = regexp.MustCompile(`^SHA256:[A-Za-z0-9+/]{43}$`)

// check validates what the rule tables cannot: how the terminal is
// reached, its secrets and its generic definition.
func (t *Terminal) check(r *report, set map[string]bool, dir string) {
	if !given(set, "terminal") {
		return // no terminal
	}
	kinds := enums["terminal.kind"]
	switch {
	case t.Kind == "":
		r.add("terminal.kind", "required: want one of %s; or leave the terminal section out", strings.Join(kinds, ", "))
		return
	case !slices.Contains(kinds, t.Kind):
		return // reported by checkFields
	}
	t.checkReach(r, set)
	ssh := t.Kind == "cisco" && t.Address != ""
	if ssh {
		t.checkSSH(r)
	} else {
		for _, f := range []struct{ field, value string }{{"user", t.User}, {"key_file", t.KeyFile}, {"host_key", t.HostKey}} {
			if f.value != "" {
				r.add("terminal."+f.field, "applies to a cisco terminal over SSH (address) only")
			}
		}
	}
	checkSecretFile(r, "terminal.password_file", t.PasswordFile, dir)
	if ssh {
		checkSecretFile(r, "terminal.key_file", t.KeyFile, dir)
	}
	t.checkGeneric(r, set, dir)
	if c := t.Calls; c.RetryMax < c.RetryMin {
		r.add("terminal.calls.retry_max", "%s is shorter than retry_min %s", c.RetryMax, c.RetryMin)
	}
}

// given reports whether the config gave anything under section.
func given(set map[string]bool, section string) bool {
	for p := range set {
		if p == section || strings.HasPrefix(p, section+".") {
			return true
		}
	}
	return false
}

// checkReach wants exactly one of port, address and sim.
func (t *Terminal) checkReach(r *report, set map[string]bool) {
	var ways []string
	if t.Sim {
		ways = append(ways, "sim")
	}
	if t.Port != "" {
		ways = append(ways, "port")
	}
	if t.Address != "" {
		ways = append(ways, "address")
	}
	switch len(ways) {
	case 0:
		r.add("terminal.port", "required: give port (RS-232), address (network) or sim: true")
	case 1:
	default:
		r.add("terminal."+ways[1], "give one of port, address and sim: true, not %s", strings.Join(ways, " and "))
	}
	if t.Port != "" {
		if _, err := filepath.Match(t.Port, ""); err != nil {
			r.add("terminal.port", "%s is not a valid path or glob: %v", quotePath(t.Port), err)
		}
		if !slices.Contains(bauds, t.Baud) {
			r.add("terminal.baud", "%d is not a serial speed: want one of %s", t.Baud, joinInts(bauds))
		}
	} else if set["terminal.baud"] {
		r.add("terminal.baud", "applies to a serial port only")
	}
	if t.Address != "" {
		host, port, err := net.SplitHostPort(t.Address)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			r.add("terminal.address", "want host:port like 10.20.0.31:24, got %s", quote(t.Address))
		}
	}
}

// checkSSH needs a user, one way to log in and the pinned host key: without
// one, a machine posing as the terminal would get the password.
func (t *Terminal) checkSSH(r *report) {
	if t.User == "" {
		r.add("terminal.user", "required for a cisco terminal over SSH")
	}
	switch {
	case t.PasswordFile == "" && t.KeyFile == "":
		r.add("terminal.password_file", "required for a cisco terminal over SSH: give password_file or key_file")
	case t.PasswordFile != "" && t.KeyFile != "":
		r.add("terminal.key_file", "give password_file or key_file, not both")
	}
	if t.HostKey == "" {
		r.add("terminal.host_key", "required for a cisco terminal over SSH, so that a machine posing as the terminal is refused: give its public key line (ssh-keyscan -t ed25519 HOST) or its SHA256: fingerprint (ssh-keygen -lf)")
	} else if reason := hostKeyProblem(t.HostKey); reason != "" {
		r.add("terminal.host_key", "%s", reason)
	}
}

// hostKeyProblem says why s is neither a public key line nor a SHA256
// fingerprint, or "".
func hostKeyProblem(s string) string {
	const want = "want a public key line like ssh-ed25519 AAAA… or a fingerprint like SHA256:…"
	if strings.HasPrefix(s, "SHA256:") {
		if !fingerprintRE.MatchString(s) {
			return "not a SHA256 fingerprint: want SHA256: and 43 base64 characters, as ssh-keygen -l prints"
		}
		return ""
	}
	f := strings.Fields(s)
	if len(f) >= 3 && slices.Contains(sshKeyTypes, f[1]) {
		return "starts with a host name: leave out the first word that ssh-keyscan prints"
	}
	if len(f) < 2 || !slices.Contains(sshKeyTypes, f[0]) {
		return want + " (key types: " + strings.Join(sshKeyTypes, ", ") + ")"
	}
	blob, err := base64.StdEncoding.DecodeString(f[1])
	if err != nil {
		return "the key is not base64: " + want
	}
	// The key's data begins with its type, length first.
	if len(blob) < 4 || uint64(binary.BigEndian.Uint32(blob)) > uint64(len(blob)-4) || string(blob[4:4+binary.BigEndian.Uint32(blob)]) != f[0] {
		return "the key's data is not a " + f[0] + " key"
	}
	return ""
}

// checkSecretFile wants a regular file that only its owner can read.
func checkSecretFile(r *report, field, path, dir string) {
	if path == "" {
		return
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		r.add(field, "cannot read %s: %v", quotePath(path), errors.Unwrap(err))
	case !fi.Mode().IsRegular():
		r.add(field, "%s is not a file", quotePath(path))
	case fi.Mode().Perm()&0o077 != 0:
		r.add(field, "%s holds a secret but is mode %v: make it readable by the agent's user only (chmod 600)", quotePath(path), fi.Mode().Perm())
	}
}

// checkGeneric wants a definition for a generic terminal, inline or in a
// file, and reports its problems where they are.
func (t *Terminal) checkGeneric(r *report, set map[string]bool, dir string) {
	inline := given(set, "terminal.generic")
	if t.Kind != "generic" {
		if inline {
			r.add("terminal.generic", "applies to kind generic only")
		}
		if t.DefinitionFile != "" {
			r.add("terminal.definition_file", "applies to kind generic only")
		}
		return
	}
	switch {
	case inline && t.DefinitionFile != "":
		r.add("terminal.definition_file", "give generic or definition_file, not both")
		return
	case t.DefinitionFile != "":
		t.Generic = loadDefinition(r, dir, t.DefinitionFile)
		return
	case !inline:
		r.add("terminal.generic", "required for kind generic: the terminal's line protocol, here or in definition_file (see examples/terminals/vct-100.yaml)")
		return
	}
	for _, p := range t.Generic.Check() {
		r.add(join("terminal.generic", p.Field), "%s", p.Reason)
	}
}

// loadDefinition decodes and checks a definition file; its problems are
// reported with its own name and lines.
func loadDefinition(r *report, dir, path string) generic.Definition {
	var d generic.Definition
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	f, err := os.Open(path)
	if err != nil {
		r.add("terminal.definition_file", "cannot read %s: %v", quotePath(path), errors.Unwrap(err))
		return d
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		r.add("terminal.definition_file", "cannot read %s: %v", quotePath(path), err)
		return d
	}
	fr := newReport(path)
	if root := parseYAML(fr, data); root != nil {
		fr.lines[""] = root.Line
		(&decoder{r: fr, set: map[string]bool{}}).value(root, reflect.ValueOf(&d).Elem(), "")
		for _, p := range d.Check() {
			fr.add(p.Field, "%s", p.Reason)
		}
	}
	r.include(fr)
	return d
}

// terminalWarnings are terminal settings that are allowed but weaken the
// box.
func (c *Config) terminalWarnings() []string {
	t := c.Terminal
	if !c.HasTerminal() {
		return nil
	}
	var out []string
	if t.Sim && c.Board != "sim" {
		out = append(out, fmt.Sprintf("terminal.sim: the terminal is simulated on board %s: the room's real terminal is not driven", c.Board))
	}
	if t.Kind == "poly" && t.Address != "" && t.PasswordFile == "" {
		out = append(out, "terminal.password_file: none for a Poly on the network: its API port takes commands from anyone who reaches it unless the terminal has an API password; set one and give it here")
	}
	if t.Kind == "generic" {
		switch {
		case t.Generic.Login.Prompt != "" && t.PasswordFile == "" && t.Address != "":
			out = append(out, "terminal.password_file: none, but the definition has a login prompt: a terminal that asks for a password is not answered")
		case t.Generic.Login.Prompt == "" && t.PasswordFile != "":
			out = append(out, "terminal.password_file: the definition has no login prompt, so the password is never sent")
		}
	}
	// The status page promises to show an unplugged terminal within 5 s:
	// it shows after a poll that gets no answer.
	if worst := t.Poll + t.Timeout; worst.D().Seconds() > 5 {
		out = append(out, fmt.Sprintf("terminal.poll: an unplugged terminal shows only after up to %s (poll %s and timeout %s), later than the 5 s the status page promises", worst, t.Poll, t.Timeout))
	}
	return out
}
