// Package gallery holds the face templates of the people a box must know and
// finds, for a probe embedding, the closest people by cosine similarity.
//
// A Gallery is immutable: the city sends a new one whole, it is built beside
// the old one and a Set swaps it in atomically while searches continue on
// whichever gallery they started with. All rows live in one contiguous matrix,
// normalised once when built, so a search is one sequential pass over memory
// (exact, no index: 100,000 people at 128 dimensions take 51 MB as float32 or
// 13 MB as int8, and a pass over them is bounded by memory bandwidth).
//
// The package is pure Go, without cgo, so it builds with the gate-only agent;
// it does not know about SQLite either: the store feeds it through a Source
// and keeps templates as the bytes of Encode.
package gallery
