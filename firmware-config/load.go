package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// MaxSize is the largest config accepted. Real ones are a few kilobytes;
// the limit keeps a wrong file (a log, a disk image) from being parsed.
const MaxSize = 1 << 20

// Load reads, completes and validates the config file at path. Problems in
// the file are returned together as a *ValidationError; a file that cannot
// be read gives the *fs.PathError.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("config: read %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse decodes, completes and validates a config. name is used in error
// messages, and relative key files are read from its directory. Every
// problem is reported in one *ValidationError.
func Parse(name string, data []byte) (*Config, error) {
	r := newReport(name)
	root := parseYAML(r, data)
	if root == nil {
		return nil, r.err()
	}
	c := &Config{}
	d := &decoder{r: r, set: map[string]bool{}}
	r.lines[""] = root.Line
	d.value(root, reflect.ValueOf(c).Elem(), "")
	applyDefaults(c, d.set)
	fillGPIO(c, d.set, r)
	c.validate(r, d.set, filepath.Dir(name))
	if err := r.err(); err != nil {
		return nil, err
	}
	return c, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML returns the document's top node, or nil with the problem reported.
func parseYAML(r *report, data []byte) *yaml.Node {
	if len(data) > MaxSize {
		r.addLine(0, "", fmt.Sprintf("file is larger than %d bytes; is it really a config?", MaxSize))
		return nil
	}
	if line, what := notText(data); what != "" {
		r.addLine(line, "", what+": a config is YAML text")
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			r.addLine(0, "", "config is empty")
		} else {
			syntaxError(r, data, err)
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		syntaxError(r, data, err)
		return nil
	default:
		r.addLine(next.Line, "", "only one YAML document is allowed (remove the ---)")
		return nil
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		r.addLine(doc.Line, "", "config is empty")
		return nil
	}
	return doc.Content[0]
}

// syntaxError reports a YAML parse error. yaml.v3 names the line where the
// enclosing construct began, often one before the mistake; the first
// prefix of the file that fails with the same message ends on the line
// that holds it.
func syntaxError(r *report, data []byte, err error) {
	line, msg := 0, strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	r.addLine(problemLine(data, line, msg), "", "YAML syntax error: "+msg)
}

// problemLine looks for the mistake in the few lines from line on. Each
// look parses the file again, so large files keep yaml.v3's line.
func problemLine(data []byte, line int, msg string) int {
	const window = 20
	if len(data) > 64<<10 {
		return line
	}
	ends := []int{} // ends[k-1] is the offset after line k
	for i, b := range data {
		if b == '\n' {
			ends = append(ends, i+1)
		}
	}
	ends = append(ends, len(data))
	for k := max(line, 1); k <= len(ends) && k < line+window; k++ {
		if err := parseAll(data[:ends[k-1]]); err != nil {
			if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil && m[2] == msg || err.Error() == "yaml: "+msg {
				return k
			}
		}
	}
	return line
}

// parseAll parses every document in data.
func parseAll(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// notText finds the first byte that cannot be in YAML text: invalid UTF-8
// or a control character. yaml.v3 reports these without a line.
func notText(data []byte) (line int, what string) {
	line = 1
	for i := 0; i < len(data); {
		c, size := utf8.DecodeRune(data[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			return line, fmt.Sprintf("invalid UTF-8 (byte 0x%02x)", data[i])
		case c == '\n':
			line++
		case c < 0x20 && c != '\t' && c != '\r' || c == 0x7f:
			return line, fmt.Sprintf("control character %U", c)
		}
		i += size
	}
	return 0, ""
}
