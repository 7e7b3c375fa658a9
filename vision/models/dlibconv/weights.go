package dlibconv

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
)

// The files and the package version the converter is written for. Their
// sha256 are those of @vladmandic/face-api@1.7.15's model/ files.
const (
	Package        = "@vladmandic/face-api@1.7.15"
	ManifestFile   = "face_recognition_model-weights_manifest.json"
	WeightsFile    = "face_recognition_model.bin"
	ManifestSHA256 = "cbaffa501b0b9275a12b63357a6843e7e30c054e1c9151e1a5f879b26e32986b"
	WeightsSHA256  = "b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589"
)

// ErrWeights is wrapped by every refusal of the input files.
var ErrWeights = errors.New("dlibconv: weights")

// Tensor is one dequantised weight tensor, in the manifest's shape and
// TF.js layout (filters are [kh, kw, in, out]).
type Tensor struct {
	Shape []int
	Data  []float32
}

type manifestGroup struct {
	Paths   []string         `json:"paths"`
	Weights []manifestWeight `json:"weights"`
}

type manifestWeight struct {
	Name         string `json:"name"`
	Shape        []int  `json:"shape"`
	Dtype        string `json:"dtype"`
	Quantization *struct {
		Dtype string  `json:"dtype"`
		Scale float64 `json:"scale"`
		Min   float64 `json:"min"`
	} `json:"quantization"`
}

// ReadDir reads the manifest and its shards from dir (the package's model/
// directory or a copy of the two files), checks both files against the
// sha256 of the pinned package, and returns the tensors by name.
func ReadDir(dir string) (map[string]Tensor, error) {
	manifest, err := readChecked(filepath.Join(dir, ManifestFile), ManifestSHA256)
	if err != nil {
		return nil, err
	}
	return ReadWeights(manifest, func(name string) ([]byte, error) {
		if name != WeightsFile {
			return nil, fmt.Errorf("%w: the manifest names shard %q, %s has only %s", ErrWeights, name, Package, WeightsFile)
		}
		return readChecked(filepath.Join(dir, name), WeightsSHA256)
	})
}

func readChecked(path, want string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v (extract it from %s, or run make models)", ErrWeights, err, Package)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != want {
		return nil, fmt.Errorf("%w: %s: sha256 %s, want %s: the file is altered, truncated or not from %s",
			ErrWeights, filepath.Base(path), got, want, Package)
	}
	return b, nil
}

// ReadWeights decodes a TF.js weights manifest and its shards as TF.js
// does: the shards of a group are one byte stream, read tensor by tensor
// in manifest order; a uint8-quantised value is q*scale+min. It refuses
// any dtype this network does not use, a shard of the wrong length, and a
// tensor that is not finite.
func ReadWeights(manifest []byte, shard func(name string) ([]byte, error)) (map[string]Tensor, error) {
	var groups []manifestGroup
	if err := json.Unmarshal(manifest, &groups); err != nil {
		return nil, fmt.Errorf("%w: manifest: %v", ErrWeights, err)
	}
	out := map[string]Tensor{}
	for _, g := range groups {
		var buf []byte
		for _, p := range g.Paths {
			b, err := shard(p)
			if err != nil {
				return nil, err
			}
			buf = append(buf, b...)
		}
		off := 0
		for _, w := range g.Weights {
			t, n, err := decode(w, buf[off:])
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrWeights, w.Name, err)
			}
			if _, dup := out[w.Name]; dup {
				return nil, fmt.Errorf("%w: %s appears twice in the manifest", ErrWeights, w.Name)
			}
			out[w.Name] = t
			off += n
		}
		if off != len(buf) {
			return nil, fmt.Errorf("%w: shards %v hold %d bytes, the manifest describes %d", ErrWeights, g.Paths, len(buf), off)
		}
	}
	return out, nil
}

const maxElems = 1 << 24 // far above this network's largest tensor (589,824)

func decode(w manifestWeight, b []byte) (Tensor, int, error) {
	n := 1
	for _, d := range w.Shape {
		if d < 1 || d > maxElems || n*d > maxElems {
			return Tensor{}, 0, fmt.Errorf("shape %v out of range", w.Shape)
		}
		n *= d
	}
	if w.Dtype != "float32" {
		return Tensor{}, 0, fmt.Errorf("dtype %q, want float32", w.Dtype)
	}
	t := Tensor{Shape: slices.Clone(w.Shape), Data: make([]float32, n)}
	size := 4
	if q := w.Quantization; q != nil {
		if q.Dtype != "uint8" {
			return Tensor{}, 0, fmt.Errorf("quantization dtype %q, want uint8", q.Dtype)
		}
		size = 1
	}
	if len(b) < n*size {
		return Tensor{}, 0, fmt.Errorf("needs %d bytes, the shards have %d left: truncated", n*size, len(b))
	}
	for i := range t.Data {
		var v float32
		if q := w.Quantization; q != nil {
			// TF.js computes this in float64 and stores it as float32.
			v = float32(float64(b[i])*q.Scale + q.Min)
		} else {
			v = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return Tensor{}, 0, fmt.Errorf("value %d is not finite", i)
		}
		t.Data[i] = v
	}
	return t, n * size, nil
}
