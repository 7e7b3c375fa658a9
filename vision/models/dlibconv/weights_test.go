package dlibconv

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"
)

func shards(m map[string][]byte) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		b, ok := m[name]
		if !ok {
			return nil, errors.New("no shard " + name)
		}
		return b, nil
	}
}

func f32(vs ...float32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

// Dequantisation must be TF.js's own: q*scale+min in float64, stored as
// float32; the shards of a group are one stream.
func TestReadWeightsDecodesAsTFJS(t *testing.T) {
	manifest := `[{"paths":["a.bin","b.bin"],"weights":[
		{"name":"q","shape":[3],"dtype":"float32","quantization":{"dtype":"uint8","scale":0.0007328585666768691,"min":-0.0974701893680236}},
		{"name":"f","shape":[2],"dtype":"float32"}]}]`
	fb := f32(1.5, -2.25)
	w, err := ReadWeights([]byte(manifest), shards(map[string][]byte{"a.bin": {0, 7, 255, fb[0]}, "b.bin": fb[1:]}))
	if err != nil {
		t.Fatal(err)
	}
	for i, q := range []byte{0, 7, 255} {
		want := float32(float64(q)*0.0007328585666768691 + -0.0974701893680236)
		if got := w["q"].Data[i]; got != want {
			t.Errorf("q[%d] = %v, want %v", i, got, want)
		}
	}
	if got := w["f"].Data; got[0] != 1.5 || got[1] != -2.25 {
		t.Errorf("f = %v, want [1.5 -2.25]", got)
	}
}

func TestReadWeightsRefusesBadInput(t *testing.T) {
	q := `"dtype":"float32","quantization":{"dtype":"uint8","scale":1,"min":0}`
	for _, c := range []struct {
		name, manifest string
		shard          []byte
		want           string
	}{
		{"truncated shard", `[{"paths":["s"],"weights":[{"name":"a","shape":[4],` + q + `}]}]`, []byte{1, 2, 3}, "truncated"},
		{"trailing bytes", `[{"paths":["s"],"weights":[{"name":"a","shape":[2],` + q + `}]}]`, []byte{1, 2, 3}, "hold 3 bytes, the manifest describes 2"},
		{"other dtype", `[{"paths":["s"],"weights":[{"name":"a","shape":[1],"dtype":"int32"}]}]`, f32(1), `dtype "int32"`},
		{"other quantisation", `[{"paths":["s"],"weights":[{"name":"a","shape":[1],"dtype":"float32","quantization":{"dtype":"uint16","scale":1,"min":0}}]}]`, []byte{1, 2}, `"uint16"`},
		{"zero dim", `[{"paths":["s"],"weights":[{"name":"a","shape":[0],` + q + `}]}]`, nil, "out of range"},
		{"huge shape", `[{"paths":["s"],"weights":[{"name":"a","shape":[65536,65536],` + q + `}]}]`, nil, "out of range"},
		{"not finite", `[{"paths":["s"],"weights":[{"name":"a","shape":[1],"dtype":"float32"}]}]`, f32(float32(math.NaN())), "not finite"},
		{"duplicate", `[{"paths":["s"],"weights":[{"name":"a","shape":[1],` + q + `},{"name":"a","shape":[1],` + q + `}]}]`, []byte{1, 2}, "twice"},
		{"not json", `{"paths":`, nil, "manifest"},
		{"missing shard", `[{"paths":["other"],"weights":[]}]`, nil, "no shard other"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadWeights([]byte(c.manifest), shards(map[string][]byte{"s": c.shard}))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("ReadWeights = %v, want an error saying %q", err, c.want)
			}
		})
	}
}

func TestBuildRefusesAnIncompleteNetwork(t *testing.T) {
	_, err := Build(map[string]Tensor{})
	if !errors.Is(err, ErrWeights) || !strings.Contains(err.Error(), "conv32_down/conv/filters missing") {
		t.Errorf("Build(no weights) = %v, want the first missing tensor named", err)
	}
}
