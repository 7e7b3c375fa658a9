package config

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoder fills a Config from a YAML node tree, recording the line of every
// field and reporting every problem rather than stopping at the first.
type decoder struct {
	r   *report
	set map[string]bool // fields given a value (not null)
}

var durationType = reflect.TypeFor[Duration]()

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// value decodes n into v. The field's line is already recorded.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	n = resolve(n)
	if n == nil || n.Kind == yaml.AliasNode {
		d.r.add(path, "alias nested too deeply")
		return
	}
	switch {
	case v.Type() == durationType:
		dv, reason := durationOf(n)
		if reason != "" {
			d.r.add(path, "%s", reason)
			return
		}
		v.SetInt(int64(dv))
	case v.Kind() == reflect.Struct:
		d.structure(n, v, path)
	case v.Kind() == reflect.Map:
		d.mapping(n, v, path)
	case v.Kind() == reflect.Slice:
		d.list(n, v, path)
	case v.Kind() == reflect.String:
		if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!bool" {
			reason := "want text, got " + describe(n)
			if n.ShortTag() == "!!bool" {
				reason += " (quote it to mean the text)"
			}
			d.r.add(path, "%s", reason)
			return
		}
		v.SetString(n.Value)
	case v.Kind() == reflect.Int:
		var i int
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
			d.r.add(path, "want a whole number, got %s", describe(n))
			return
		}
		v.SetInt(int64(i))
	case v.Kind() == reflect.Float32 || v.Kind() == reflect.Float64:
		var f float64
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" && n.ShortTag() != "!!float" || n.Decode(&f) != nil {
			d.r.add(path, "want a number, got %s", describe(n))
			return
		}
		switch {
		case math.IsNaN(f) || math.IsInf(f, 0):
			d.r.add(path, "want a finite number, got %s", n.Value)
			return
		case v.Kind() == reflect.Float32 && math.Abs(f) > math.MaxFloat32:
			d.r.add(path, "%s is too large", n.Value)
			return
		}
		v.SetFloat(f)
	case v.Kind() == reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			d.r.add(path, "want true or false, got %s", describe(n))
			return
		}
		v.SetBool(n.Value == "true")
	default:
		panic(fmt.Sprintf("config: no decoder for %s", v.Type())) // a programming error in config.go, caught by every test
	}
}

// yamlName is a struct field's YAML key.
func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}

// fieldsOf maps YAML keys to struct field indexes.
func fieldsOf(t reflect.Type) (map[string]int, []string) {
	idx := map[string]int{}
	var names []string
	for i := range t.NumField() {
		name := yamlName(t.Field(i))
		if name == "" || name == "-" {
			continue
		}
		idx[name] = i
		names = append(names, name)
	}
	return idx, names
}

// pairs checks a mapping's keys (scalar, not duplicated, no merge keys) and
// returns the usable key/value pairs.
func (d *decoder) pairs(n *yaml.Node, path string) [][2]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		d.r.add(path, "want a mapping (key: value lines), got %s", describe(n))
		return nil
	}
	seen := map[string]int{}
	var out [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := resolve(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			d.r.addLine(n.Content[i].Line, path, "a key must be plain text, got "+describe(n.Content[i]))
			continue
		}
		p := join(path, keyName(k.Value))
		if k.ShortTag() == "!!merge" {
			d.r.addLine(k.Line, p, "merge keys (<<) are not supported; write the fields out")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.r.addLine(k.Line, p, fmt.Sprintf("duplicate key (first at line %d)", first))
			continue
		}
		seen[k.Value] = k.Line
		out = append(out, [2]*yaml.Node{k, val})
	}
	return out
}

func (d *decoder) structure(n *yaml.Node, v reflect.Value, path string) {
	idx, names := fieldsOf(v.Type())
	for _, kv := range d.pairs(n, path) {
		k, val := kv[0], kv[1]
		i, ok := idx[k.Value]
		if !ok {
			d.r.addLine(k.Line, join(path, keyName(k.Value)), "unknown key"+oneOf(k.Value, names))
			continue
		}
		p := join(path, k.Value)
		d.r.lines[p] = k.Line
		if isNull(resolve(val)) {
			continue
		}
		d.set[p] = true
		d.value(val, v.Field(i), p)
	}
}

// mapping decodes the gpio map, whose keys are roles.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	known := roleNames()
	for _, kv := range d.pairs(n, path) {
		k, val := kv[0], kv[1]
		role := Role(k.Value)
		p := join(path, keyName(k.Value))
		if !role.Valid() {
			d.r.addLine(k.Line, p, "unknown role"+oneOf(k.Value, known))
			continue
		}
		d.r.lines[p] = k.Line
		d.set[p] = true
		elem := reflect.New(v.Type().Elem()).Elem()
		if !isNull(resolve(val)) {
			d.value(val, elem, p)
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		v.SetMapIndex(reflect.ValueOf(role), elem)
	}
}

func (d *decoder) list(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.r.add(path, "want a list (lines starting with '- '), got %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		d.r.lines[p] = item.Line
		if isNull(resolve(item)) {
			d.r.add(p, "empty list item")
			continue
		}
		d.set[p] = true
		d.value(item, s.Index(i), p)
	}
	v.Set(s)
}

// sortedRoles lists a GPIO map's roles in the canonical order, unknown ones last.
func sortedRoles(m map[Role]Line) []Role {
	out := make([]Role, 0, len(m))
	for r := range m {
		out = append(out, r)
	}
	rank := func(r Role) int {
		for i, k := range roles {
			if r == k {
				return i
			}
		}
		return len(roles)
	}
	sort.Slice(out, func(i, j int) bool {
		if rank(out[i]) != rank(out[j]) {
			return rank(out[i]) < rank(out[j])
		}
		return out[i] < out[j]
	})
	return out
}
