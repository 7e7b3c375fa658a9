//go:build !vision

// Command visionbench needs OpenCV; without the tag it only says so, so
// that `go build ./...` with CGO_ENABLED=0 still builds every package.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "visionbench: built without the vision tag; run: go run -tags vision ./vision/cmd/visionbench (needs cgo and libopencv-dev)")
	os.Exit(2)
}
