package config

import (
	"bytes"
	"encoding/json"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files (schema and expected errors)")

const schemaFile = "schema/roomgate.schema.json"

// TestSchema fails when the committed JSON Schema no longer matches the Go
// types, their comments or the rule tables. go generate rewrites it.
func TestSchema(t *testing.T) {
	got := generateSchema(t)
	if *update {
		if err := os.WriteFile(schemaFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the schema generated from the Go types; run: go generate ./firmware-config", schemaFile)
	}
}

// schemaGen builds a draft 2020-12 schema from the Config type by reflection,
// with descriptions from the comments in config.go.
type schemaGen struct {
	docs map[string]string // "Type" and "Type.Field" → comment; role value → comment
	defs map[string]any
}

func generateSchema(t *testing.T) []byte {
	t.Helper()
	docs := comments(t, "config.go", "")
	// The vision sections reuse the engine's own types; their fields are
	// described where they are declared.
	for k, v := range comments(t, "../vision/quality/quality.go", "quality.") {
		docs[k] = v
	}
	for k, v := range comments(t, "../devices/terminal/generic/definition.go", "generic.") {
		docs[k] = v
	}
	g := &schemaGen{docs: docs, defs: map[string]any{}}
	root := g.schema(reflect.TypeFor[Config](), "")
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = "https://roomgate.example/schema/roomgate.schema.json"
	root["title"] = "roomgate configuration"
	root["$defs"] = g.defs
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(root); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func (g *schemaGen) schema(t reflect.Type, path string) map[string]any {
	rp := rulePath(path)
	s := map[string]any{}
	switch {
	case t == durationType:
		s["type"] = "string"
		s["pattern"] = `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
		if lim, ok := durationLimits[rp]; ok {
			s["x-range"] = lim[0].String() + " to " + lim[1].String()
		}
	case t.Kind() == reflect.Struct:
		s["type"] = "object"
		s["additionalProperties"] = false
		props := map[string]any{}
		var req []string
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			p := join(path, name)
			fs := g.schema(f.Type, p)
			desc := g.docs[typeName(t)+"."+f.Name]
			if desc == "" && f.Type.Kind() == reflect.Struct && f.Type != durationType {
				desc = g.docs[typeName(f.Type)]
			}
			addDescription(fs, desc)
			props[name] = fs
			if schemaRequired(f.Type, p) {
				req = append(req, name)
			}
		}
		s["properties"] = props
		if len(req) > 0 {
			s["required"] = req
		}
		if path == "" {
			s["description"] = g.docs[t.Name()]
		}
	case t.Kind() == reflect.Map: // the gpio section: one entry per role
		def := strings.ToLower(t.Elem().Name())
		line := g.schema(t.Elem(), path+".*")
		line["description"] = g.docs[t.Elem().Name()]
		g.defs[def] = line
		props := map[string]any{}
		for _, r := range roles {
			props[string(r)] = map[string]any{"$ref": "#/$defs/" + def, "description": g.docs[string(r)]}
		}
		s["type"] = "object"
		s["additionalProperties"] = false
		s["properties"] = props
	case t.Kind() == reflect.Slice:
		s["type"] = "array"
		items := g.schema(t.Elem(), path+"[]")
		if t.Elem().Kind() == reflect.Struct {
			items["description"] = g.docs[typeName(t.Elem())]
		}
		s["items"] = items
	case t.Kind() == reflect.String:
		s["type"] = "string"
		if e, ok := enums[rp]; ok {
			s["enum"] = e
		}
		if p, ok := patterns[rp]; ok {
			s["pattern"] = p.re.String()
		}
		if _, isEnum := enums[rp]; required[rp] && !isEnum && !strings.HasPrefix(rp, "gpio.") {
			s["minLength"] = 1
		}
	case t.Kind() == reflect.Int:
		s["type"] = "integer"
		if lim, ok := intLimits[rp]; ok {
			s["minimum"], s["maximum"] = lim[0], lim[1]
		}
		if rp == "scanners[].baud" || rp == "terminal.baud" {
			s["enum"] = bauds
		}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		s["type"] = "number"
		if lim, ok := floatLimits[rp]; ok {
			s["minimum"], s["maximum"] = lim[0], lim[1]
		}
	case t.Kind() == reflect.Bool:
		s["type"] = "boolean"
	default:
		panic("schema: no mapping for " + t.String())
	}
	if d, ok := defaults[rp]; ok {
		if dur, ok := d.(Duration); ok {
			d = dur.String()
		}
		s["default"] = d
	}
	return s
}

// addDescription sets a field's description, with its range when it has one
// (JSON Schema cannot compare durations, so the range is told in words).
func addDescription(s map[string]any, desc string) {
	if r, ok := s["x-range"]; ok {
		delete(s, "x-range")
		desc = strings.TrimSuffix(desc, ".") + "; " + r.(string) + "."
	}
	if desc != "" {
		s["description"] = desc
	}
}

// schemaRequired reports whether a config must give the field: required by
// the rules without a default, or a section holding such a field. GPIO
// entries are exempt: the board profile completes them.
func schemaRequired(t reflect.Type, path string) bool {
	rp := rulePath(path)
	if strings.HasPrefix(rp, "gpio") {
		return false
	}
	if _, ok := defaults[rp]; ok {
		return false
	}
	if required[rp] {
		return true
	}
	if t.Kind() == reflect.Struct && t != durationType {
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if schemaRequired(t.Field(i).Type, join(path, name)) {
				return true
			}
		}
	}
	return false
}

// typeName is how comments keys a type: by name in this package, with its
// package's name when it comes from another.
func typeName(t reflect.Type) string {
	if t.PkgPath() == reflect.TypeFor[Config]().PkgPath() {
		return t.Name()
	}
	return path.Base(t.PkgPath()) + "." + t.Name()
}

// comments reads the doc and line comments of the types, fields and role
// constants in a Go file, their keys prefixed with prefix.
func comments(t *testing.T, file, prefix string) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	text := func(gs ...*ast.CommentGroup) string {
		for _, g := range gs {
			if s := strings.Join(strings.Fields(g.Text()), " "); s != "" {
				return s
			}
		}
		return ""
	}
	out := map[string]string{}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok {
			continue
		}
		for _, spec := range gd.Specs {
			switch spec := spec.(type) {
			case *ast.TypeSpec:
				out[prefix+spec.Name.Name] = text(spec.Doc, gd.Doc)
				st, ok := spec.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, fld := range st.Fields.List {
					for _, n := range fld.Names {
						out[prefix+spec.Name.Name+"."+n.Name] = text(fld.Doc, fld.Comment)
					}
				}
			case *ast.ValueSpec:
				for _, v := range spec.Values {
					if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						if s, err := strconv.Unquote(lit.Value); err == nil {
							out[prefix+s] = text(spec.Doc, spec.Comment)
						}
					}
				}
			}
		}
	}
	return out
}

// TestSchemaAcceptsExamples checks every key and enum value of the examples
// against the committed schema, the part an editor checks as one types.
func TestSchemaAcceptsExamples(t *testing.T) {
	raw, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	for _, name := range examples(t) {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := yamlUnmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		for _, p := range schemaProblems(schema, schema, doc, "") {
			t.Errorf("%s: %s", name, p)
		}
	}
}

// schemaProblems checks the subset of JSON Schema that the generator writes.
func schemaProblems(root, s map[string]any, v any, path string) []string {
	if ref, ok := s["$ref"].(string); ok {
		s = root["$defs"].(map[string]any)[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
	}
	var out []string
	if e, ok := s["enum"].([]any); ok && !slices.ContainsFunc(e, func(x any) bool { return reflect.DeepEqual(x, jsonNumber(v)) }) {
		out = append(out, path+": not in enum")
	}
	switch s["type"] {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return append(out, path+": want object")
		}
		props := s["properties"].(map[string]any)
		for k, child := range m {
			ps, ok := props[k].(map[string]any)
			if !ok {
				out = append(out, join(path, k)+": not in schema")
				continue
			}
			out = append(out, schemaProblems(root, ps, child, join(path, k))...)
		}
		req, _ := s["required"].([]any)
		for _, r := range req {
			if _, ok := m[r.(string)]; !ok {
				out = append(out, join(path, r.(string))+": required by schema")
			}
		}
	case "array":
		items, ok := v.([]any)
		if !ok {
			return append(out, path+": want array")
		}
		for i, item := range items {
			out = append(out, schemaProblems(root, s["items"].(map[string]any), item, path+"["+strconv.Itoa(i)+"]")...)
		}
	case "string":
		if _, ok := v.(string); !ok {
			out = append(out, path+": want string")
		}
	case "integer":
		if _, ok := v.(int); !ok {
			out = append(out, path+": want integer")
		}
	case "number":
		switch n := v.(type) {
		case int, float64:
			f := jsonNumber(n).(float64)
			if lo, ok := s["minimum"].(float64); ok && f < lo {
				out = append(out, path+": below minimum")
			}
			if hi, ok := s["maximum"].(float64); ok && f > hi {
				out = append(out, path+": above maximum")
			}
		default:
			out = append(out, path+": want number")
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			out = append(out, path+": want boolean")
		}
	}
	return out
}

// jsonNumber makes a YAML int comparable with a number decoded from JSON.
func jsonNumber(v any) any {
	if i, ok := v.(int); ok {
		return float64(i)
	}
	return v
}
