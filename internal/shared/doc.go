// Package shared finds the developer data kept beside the checkout
// (../shared: the LFW crops and known-face photos) for vision tests and
// benchmarks, which must say clearly when it is missing rather than pass.
package shared
