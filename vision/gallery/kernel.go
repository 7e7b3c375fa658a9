package gallery

// The matrix is stored in tiles of tileRows rows. Within a tile, components
// come in blocks of eight: block b holds components 8b..8b+7 of every row of
// the tile, row after row. A search then holds eight components of the probe
// in registers while they meet every row of the tile, so each component of a
// row costs one load rather than two (row and probe), and still reads the
// whole matrix in address order. Rows are padded with zeros to a multiple of
// eight components.
const tileRows = 256

// at is the index in the matrix of component j of row r; pdim is the padded
// dimension.
func at(pdim, r, j int) int {
	return r/tileRows*tileRows*pdim + j/8*tileRows*8 + r%tileRows*8 + j%8
}

// tileFloat32 writes to sc the dot products of q with the first m rows of
// tile.
func tileFloat32(tile []float32, m int, q []float32, sc *[tileRows]float32) {
	s := sc[:m]
	clear(s)
	for len(q) >= 8 && len(tile) >= 8*tileRows {
		p0, p1, p2, p3, p4, p5, p6, p7 := q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7]
		blk := tile[:8*m]
		for i := range s {
			r := blk[:8]
			s[i] += ((r[0]*p0 + r[1]*p1) + (r[2]*p2 + r[3]*p3)) + ((r[4]*p4 + r[5]*p5) + (r[6]*p6 + r[7]*p7))
			blk = blk[8:]
		}
		q, tile = q[8:], tile[8*tileRows:]
	}
}

// tileInt8 is tileFloat32 for int8 codes, the probe's widened to int32 once
// so the loop sign-extends only the row's bytes. Each sum stays inside int32
// (Build bounds the dimension).
func tileInt8(tile []int8, m int, q []int32, sc *[tileRows]int32) {
	s := sc[:m]
	clear(s)
	for len(q) >= 8 && len(tile) >= 8*tileRows {
		p0, p1, p2, p3, p4, p5, p6, p7 := q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7]
		blk := tile[:8*m]
		for i := range s {
			r := blk[:8]
			s[i] += ((int32(r[0])*p0 + int32(r[1])*p1) + (int32(r[2])*p2 + int32(r[3])*p3)) +
				((int32(r[4])*p4 + int32(r[5])*p5) + (int32(r[6])*p6 + int32(r[7])*p7))
			blk = blk[8:]
		}
		q, tile = q[8:], tile[8*tileRows:]
	}
}
