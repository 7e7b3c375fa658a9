// Package systemd holds the agent's systemd units; its test keeps the
// unit's sandbox from being loosened by accident, and benchmarks run the
// agent in the environment the unit gives it.
package systemd

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"strings"
)

//go:embed roomgate.service
var agentUnit string

// Service returns every value of every key of a unit's [Service] section,
// in order; a repeated key keeps all its values.
func Service(unit io.Reader) (map[string][]string, error) {
	out := map[string][]string{}
	section := ""
	sc := bufio.NewScanner(unit)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
		case section == "Service":
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				return nil, fmt.Errorf("%q is not key=value", line)
			}
			out[k] = append(out[k], v)
		}
	}
	return out, sc.Err()
}

// AgentEnvironment is what roomgate.service adds to the agent's
// environment, as KEY=value (its values are never quoted).
func AgentEnvironment() ([]string, error) {
	s, err := Service(strings.NewReader(agentUnit))
	if err != nil {
		return nil, fmt.Errorf("roomgate.service: %w", err)
	}
	var env []string
	for _, v := range s["Environment"] {
		env = append(env, strings.Fields(v)...)
	}
	return env, nil
}
