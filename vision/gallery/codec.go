package gallery

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Encode returns vec as the bytes the store keeps: each component as a
// little-endian IEEE 754 float32, so a template reads the same on every box.
func Encode(vec []float32) []byte {
	b := make([]byte, 4*len(vec))
	for i, x := range vec {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// Decode appends the components in b, as Encode wrote them, to dst and
// returns the extended slice; a loader that reuses dst makes no garbage per
// template. It refuses bytes that are no whole number of components or none
// at all; Build checks the dimension.
func Decode(dst []float32, b []byte) ([]float32, error) {
	if len(b) == 0 || len(b)%4 != 0 {
		return dst, fmt.Errorf("%w: template of %d bytes, want a positive multiple of 4", ErrDim, len(b))
	}
	for i := 0; i < len(b); i += 4 {
		dst = append(dst, math.Float32frombits(binary.LittleEndian.Uint32(b[i:])))
	}
	return dst, nil
}
