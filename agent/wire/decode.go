package wire

import (
	"bytes"
	"encoding/json"
	"errors"
)

// maxDepth bounds the nesting of any payload, free-form members included.
const maxDepth = 32

// decode strictly decodes payload, a single JSON value opening with open
// ('{' or '['), into v. Members named in free hold free-form objects whose
// keys are only checked for duplicates; anyKeys makes the whole payload
// free-form.
func decode(what string, payload []byte, limit int, open byte, free map[string]bool, v any) error {
	if len(payload) > limit {
		return errorf(ErrTooLarge, "%s: %d bytes, limit %d", what, len(payload), limit)
	}
	if first := firstByte(payload); first != open {
		want := "an object"
		if open == '[' {
			want = "an array"
		}
		return errorf(ErrMalformed, "%s: want %s", what, want)
	}
	if err := checkKeys(payload, free); err != nil {
		return errorf(ErrMalformed, "%s: %v", what, err)
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errorf(ErrMalformed, "%s: %v", what, err)
	}
	return nil
}

// firstByte returns the first byte of p that is not JSON white space, or 0.
func firstByte(p []byte) byte {
	for _, c := range p {
		switch c {
		case ' ', '\t', '\n', '\r':
		default:
			return c
		}
	}
	return 0
}

// anyKeys names the root as free-form ("" is never a plain key).
var anyKeys = map[string]bool{"": true}

// frame is an open object or array during checkKeys' walk.
type frame struct {
	object bool
	free   bool     // inside a free-form member: any key goes
	keys   []string // an object's keys so far, while few
	keySet map[string]bool
}

// seen records key in the frame and reports whether it was there already.
// Objects with few keys use a slice, sparing a map per object; a large
// free-form object gets a map, so a payload of many keys stays linear.
func (f *frame) seen(key string) bool {
	if f.keySet != nil {
		if f.keySet[key] {
			return true
		}
		f.keySet[key] = true
		return false
	}
	for _, k := range f.keys {
		if k == key {
			return true
		}
	}
	f.keys = append(f.keys, key)
	if len(f.keys) > 16 {
		f.keySet = make(map[string]bool, 32)
		for _, k := range f.keys {
			f.keySet[k] = true
		}
		f.keys = nil
	}
	return false
}

// checkKeys checks that p holds exactly one JSON value and refuses
// duplicate keys anywhere and, outside free-form members, keys that are
// not plain lowercase names. encoding/json matches keys without regard to
// case and folds some letters ("ſ" to "s"), and keeps the last of two equal
// keys: either would let a payload say one thing to us and another to a
// stricter reader.
//
// It walks the bytes itself once json.Valid has vouched for the syntax:
// json.Decoder.Token builds an error string for every scalar it reads,
// which made it the bulk of the city's CPU time when decoding events.
func checkKeys(p []byte, free map[string]bool) error {
	if !json.Valid(p) {
		var v json.RawMessage
		if err := json.Unmarshal(p, &v); err != nil {
			return err
		}
		return errors.New("invalid JSON")
	}
	var stack []frame
	expectKey := false // the next string in the current object is a key
	nextFree := false  // the value after the current key is free-form
	for i := 0; i < len(p); {
		switch c := p[i]; c {
		case '{', '[':
			if len(stack) == maxDepth {
				return errors.New("nested too deeply")
			}
			f := frame{object: c == '{'}
			switch {
			case len(stack) == 0:
				f.free = free[""]
			case stack[len(stack)-1].object:
				f.free = nextFree
			default:
				f.free = stack[len(stack)-1].free
			}
			stack = append(stack, f)
			expectKey = f.object
			i++
		case '}', ']':
			stack = stack[:len(stack)-1]
			expectKey = false
			i++
		case ',':
			expectKey = stack[len(stack)-1].object
			i++
		case '"':
			end := stringEnd(p, i)
			if expectKey {
				key := string(p[i+1 : end-1])
				if bytes.IndexByte(p[i:end], '\\') >= 0 {
					if err := json.Unmarshal(p[i:end], &key); err != nil {
						return err
					}
				}
				top := &stack[len(stack)-1]
				if top.seen(key) {
					return errors.New("duplicate key " + quoteKey(key))
				}
				if !top.free && !plainKey(key) {
					return errors.New("unknown key " + quoteKey(key))
				}
				nextFree = top.free || free[key]
				expectKey = false
			}
			i = end
		default: // white space, ':', numbers, true, false, null
			i++
		}
	}
	return nil
}

// valueEnd returns the index just past the object or array that starts at
// p[i], which json.Valid has checked.
func valueEnd(p []byte, i int) int {
	depth := 0
	for i < len(p) {
		switch p[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		case '"':
			i = stringEnd(p, i)
			continue
		}
		i++
	}
	return len(p)
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON white space.
func skipSpace(p []byte, i int) int {
	for i < len(p) && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the string that starts at p[i],
// which json.Valid has checked.
func stringEnd(p []byte, i int) int {
	for j := i + 1; j < len(p); j++ {
		switch p[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(p)
}

// plainKey reports whether k is a lowercase name like the contract's keys.
func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for _, c := range []byte(k) {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

func quoteKey(k string) string {
	if len(k) > 40 {
		k = k[:40] + "…"
	}
	b, _ := json.Marshal(k)
	return string(b)
}
