package gallery

import (
	"fmt"
	"testing"
	"time"
	"unsafe"
)

var sink float32

// BenchmarkSearch times Top(k=2) over n templates of 128 dimensions and, in
// the same loop, a bare sequential read of the gallery's bytes: the element
// sum a scalar loop cannot beat (µs/read) and a sum of 64-bit words, the
// fastest pure-Go read of memory (µs/read64). ns/op is the search alone;
// x-read is search time over the element read.
func BenchmarkSearch(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		w := newWorld(uint64(n), 128, n)
		ts := w.templates(1)
		probe := w.sample(n / 2)
		for _, prec := range []Precision{Float32, Int8} {
			g := mustBuild(b, prec, 128, ts)
			// As many bytes as the search reads: the last tile's padding rows are
			// in the matrix but not searched.
			f32, i8 := g.f32[:min(len(g.f32), n*g.pdim)], g.i8[:min(len(g.i8), n*g.pdim)]
			read, read64 := func() { sink = sumFloat32(f32) }, func() {
				sink = float32(sumWords(unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(f32))), len(f32)/2)))
			}
			if prec == Int8 {
				read, read64 = func() { sink = float32(sumInt8(i8)) }, func() {
					sink = float32(sumWords(unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(i8))), len(i8)/8)))
				}
			}
			b.Run(fmt.Sprintf("n=%d/%v", n, prec), func(b *testing.B) {
				var search, floor, floor64 time.Duration
				queries := 0
				for b.Loop() {
					t0 := time.Now()
					m, err := g.Top(testModel, probe, 2)
					t1 := time.Now()
					read()
					t2 := time.Now()
					read64()
					t3 := time.Now()
					if err != nil || m[0].Person != personID(n/2) {
						b.Fatalf("Top = %v, %v", m, err)
					}
					search, floor, floor64 = search+t1.Sub(t0), floor+t2.Sub(t1), floor64+t3.Sub(t2)
					queries++
				}
				us := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(queries) }
				b.ReportMetric(float64(search.Nanoseconds())/float64(queries), "ns/op")
				b.ReportMetric(us(search), "µs/query")
				b.ReportMetric(us(floor), "µs/read")
				b.ReportMetric(us(floor64), "µs/read64")
				b.ReportMetric(float64(search)/float64(floor), "x-read")
				b.ReportMetric(float64(len(f32)*4+len(i8))/1e6, "MB")
			})
		}
	}
}

func sumFloat32(a []float32) float32 {
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	for i := 0; i+8 <= len(a); i += 8 {
		a8 := a[i : i+8 : i+8]
		s0 += a8[0]
		s1 += a8[1]
		s2 += a8[2]
		s3 += a8[3]
		s4 += a8[4]
		s5 += a8[5]
		s6 += a8[6]
		s7 += a8[7]
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}

func sumInt8(a []int8) int32 {
	var s0, s1, s2, s3 int32
	for i := 0; i+8 <= len(a); i += 8 {
		a8 := a[i : i+8 : i+8]
		s0 += int32(a8[0]) + int32(a8[4])
		s1 += int32(a8[1]) + int32(a8[5])
		s2 += int32(a8[2]) + int32(a8[6])
		s3 += int32(a8[3]) + int32(a8[7])
	}
	return (s0 + s1) + (s2 + s3)
}

func sumWords(a []uint64) uint64 {
	var s0, s1, s2, s3 uint64
	for i := 0; i+4 <= len(a); i += 4 {
		a4 := a[i : i+4 : i+4]
		s0 += a4[0]
		s1 += a4[1]
		s2 += a4[2]
		s3 += a4[3]
	}
	return s0 + s1 + s2 + s3
}
