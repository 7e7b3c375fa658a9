package mqtttest

import (
	"fmt"
	"strconv"
	"strings"
)

// paths are the harness's files that take the place of the production ones.
type paths struct {
	cafile, certfile, keyfile, aclfile, crlfile string
	persist                                     string // persistence_location, ending in '/'
}

// config turns the shipped drop-in roomgate.conf into a standalone test
// config: the listener moves to 127.0.0.1:port, the certificate and ACL
// paths to the harness's files, and the settings Debian's main config would
// give (persistence location, logging) are added. Everything else — TLS,
// per-listener settings, the ACL, queue sizes — is the shipped text. Each
// replaced directive must occur exactly once, so a changed roomgate.conf
// fails here rather than silently testing something else.
func config(shipped string, port int, p paths) (string, error) {
	replace := map[string]string{
		"listener": strconv.Itoa(port) + " 127.0.0.1",
		"cafile":   p.cafile,
		"certfile": p.certfile,
		"keyfile":  p.keyfile,
		"acl_file": p.aclfile,
		"crlfile":  p.crlfile,
	}
	seen := map[string]int{}
	var out strings.Builder
	// Run as root where the test runs as root, so the broker can read the
	// files in the test's private temporary directory.
	fmt.Fprintf(&out, "# written by mqtttest from deploy/mosquitto/roomgate.conf\n")
	fmt.Fprintf(&out, "user root\npersistence_location %s\n", p.persist)
	fmt.Fprintf(&out, "log_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\nlog_type information\nlog_type subscribe\nlog_type unsubscribe\nconnection_messages true\n")
	for _, line := range strings.Split(shipped, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		switch fields[0] {
		case "persistence_location", "log_dest", "log_type", "user", "pid_file", "include_dir":
			return "", fmt.Errorf("%s belongs in Debian's main config, not the drop-in", fields[0])
		}
		if v, ok := replace[fields[0]]; ok {
			seen[fields[0]]++
			line = fields[0] + " " + v
		}
		out.WriteString(line + "\n")
	}
	for k := range replace {
		if seen[k] != 1 {
			return "", fmt.Errorf("%s occurs %d times, want 1", k, seen[k])
		}
	}
	return out.String(), nil
}
