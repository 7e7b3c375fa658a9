package gallery

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func TestEncodeDecode(t *testing.T) {
	vec := []float32{0, -1, 1.5, math.MaxFloat32, math.SmallestNonzeroFloat32, float32(math.Inf(-1))}
	b := Encode(vec)
	if want := []byte{0, 0, 0, 0, 0, 0, 0x80, 0xbf}; !slices.Equal(b[:8], want) {
		t.Errorf("Encode(%v)[:8] = % x, want % x (little-endian)", vec, b[:8], want)
	}
	got, err := Decode(nil, b)
	if err != nil || !slices.Equal(got, vec) {
		t.Errorf("Decode(nil, Encode(%v)) = %v, %v", vec, got, err)
	}
	if got, err := Decode([]float32{7}, b[:4]); err != nil || !slices.Equal(got, []float32{7, 0}) {
		t.Errorf("Decode([7], 4 zero bytes) = %v, %v; want [7 0]", got, err)
	}
	for _, n := range []int{0, 1, 3, 5, 511} {
		if v, err := Decode(nil, make([]byte, n)); !errors.Is(err, ErrDim) {
			t.Errorf("Decode(%d bytes) = %v, %v; want error %v", n, v, err, ErrDim)
		}
	}
}
