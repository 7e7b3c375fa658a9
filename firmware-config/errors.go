package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// maxErrors bounds a report, so that garbage input gives a readable answer.
const maxErrors = 100

// FieldError is one problem in a config.
type FieldError struct {
	File   string // as given to Load or Parse
	Line   int    // 1-based; 0 when unknown
	Field  string // dotted path: policy.pulse, scanners[1].baud, gpio.relay.line; empty for the file as a whole
	Reason string
}

// Error formats the problem as "file:line: field: reason", leaving out the parts that are empty.
func (e FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// ValidationError is every problem found in a config, in line order.
type ValidationError struct {
	Errors []FieldError
}

// Error prints one problem per line.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		lines[i] = fe.Error()
	}
	return strings.Join(lines, "\n")
}

// report collects problems with the line of each field.
type report struct {
	file    string
	lines   map[string]int  // field path → line of its key or list item; "" is the document
	bad     map[string]bool // fields already reported, so that one mistake gives one message
	errs    []FieldError
	dropped int
	others  []FieldError // problems in the files the config names (a terminal definition), after its own
}

func newReport(file string) *report {
	return &report{file: file, lines: map[string]int{}, bad: map[string]bool{}}
}

// lineOf is the line of a field, or of its nearest ancestor when the field
// was left out (defaulted or missing).
func (r *report) lineOf(path string) int {
	for {
		if l, ok := r.lines[path]; ok {
			return l
		}
		if path == "" {
			return 0
		}
		path = parent(path)
	}
}

// add records a problem unless the field or one of its ancestors already has one.
func (r *report) add(path, format string, args ...any) {
	for p := path; ; p = parent(p) {
		if r.bad[p] {
			return
		}
		if p == "" {
			break
		}
	}
	r.bad[path] = true
	r.addLine(r.lineOf(path), path, fmt.Sprintf(format, args...))
}

func (r *report) addLine(line int, path, reason string) {
	if len(r.errs) >= maxErrors {
		r.dropped++
		return
	}
	reason = strings.Join(strings.Fields(reason), " ") // one problem, one line
	r.errs = append(r.errs, FieldError{File: r.file, Line: line, Field: path, Reason: reason})
}

func (r *report) err() error {
	if len(r.errs) == 0 && len(r.others) == 0 {
		return nil
	}
	errs := append([]FieldError(nil), r.errs...)
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
	if r.dropped > 0 {
		errs = append(errs, FieldError{File: r.file, Reason: fmt.Sprintf("%d more problems not shown", r.dropped)})
	}
	return &ValidationError{Errors: append(errs, r.others...)}
}

// include adds the problems of another file's report to r's.
func (r *report) include(o *report) {
	if err, ok := o.err().(*ValidationError); ok {
		r.others = append(r.others, err.Errors...)
	}
}

// parent is the path of the field or list that holds path.
func parent(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndexByte(path, '['); i >= 0 {
			return path[:i]
		}
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

// join appends a key to a path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// quote shows a value from the config in a message, cut short when long.
func quote(s string) string { return quoteMax(s, 40) }

// quotePath shows a file's path, which is no use cut short, unless it is
// garbage.
func quotePath(s string) string { return quoteMax(s, 256) }

func quoteMax(s string, max int) string {
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return strconv.Quote(s)
}

// keyName shows a key in a field path: as is when it looks like a key, quoted otherwise.
func keyName(s string) string {
	if s == "<<" {
		return s
	}
	if s == "" || len(s) > 40 {
		return quote(s)
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return quote(s)
		}
	}
	return s
}

// suggest returns the candidate closest to s if it is close enough to be a
// typo (two edits at most, one for short words) or s starts or ends it
// ("baudrate" for baud, "door" for door_sensor).
func suggest(s string, candidates []string) string {
	ls := strings.ToLower(s)
	best, bestD := "", 3
	for _, c := range candidates {
		d := distance(ls, c)
		limit := 2
		if len(c) <= 4 {
			limit = 1
		}
		if min(len(ls), len(c)) >= 3 && (strings.HasPrefix(ls, c) || strings.HasPrefix(c, ls)) {
			d = min(d, 1)
		} else if d > limit {
			continue
		}
		if d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// distance is the optimal string alignment distance (Levenshtein with
// transpositions), capped for long inputs so that garbage stays cheap.
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 20
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// oneOf ends a message about a value that is not allowed: the likely
// intended one if there is a close candidate, else the whole list.
func oneOf(s string, candidates []string) string {
	if c := suggest(s, candidates); c != "" {
		return fmt.Sprintf(" (did you mean %s?)", c)
	}
	return "; want one of " + strings.Join(candidates, ", ")
}
