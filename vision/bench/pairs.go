package bench

import (
	"bufio"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
)

// Pair is one LFW verification pair.
type Pair struct {
	A, B string // image paths relative to the images directory
	Same bool
	Fold int // 0-based
}

// ReadPairs parses an LFW pairs file: a header "folds<TAB>n", then per
// fold n same-person lines "name i j" and n different-person lines
// "name1 i name2 j".
func ReadPairs(r io.Reader) ([]Pair, int, error) {
	sc := bufio.NewScanner(r)
	if !sc.Scan() {
		return nil, 0, fmt.Errorf("pairs: empty file")
	}
	var folds, n int
	if _, err := fmt.Sscanf(strings.TrimSpace(sc.Text()), "%d %d", &folds, &n); err != nil || folds <= 0 || n <= 0 {
		return nil, 0, fmt.Errorf("pairs: header %q: want \"folds n\"", sc.Text())
	}
	var out []Pair
	for line := 2; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		k := len(out)
		p := Pair{Fold: k / (2 * n), Same: k%(2*n) < n}
		var err error
		switch {
		case p.Same && len(f) == 3:
			p.A, err = img(f[0], f[1])
			if err == nil {
				p.B, err = img(f[0], f[2])
			}
		case !p.Same && len(f) == 4:
			p.A, err = img(f[0], f[1])
			if err == nil {
				p.B, err = img(f[2], f[3])
			}
		default:
			err = fmt.Errorf("%d fields where a %s pair is expected", len(f), map[bool]string{true: "same-person", false: "different-person"}[p.Same])
		}
		if err != nil {
			return nil, 0, fmt.Errorf("pairs: line %d: %v", line, err)
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		return nil, 0, fmt.Errorf("pairs: %v", err)
	}
	if len(out) != folds*2*n {
		return nil, 0, fmt.Errorf("pairs: %d pairs, header promises %d", len(out), folds*2*n)
	}
	return out, folds, nil
}

func img(name, num string) (string, error) {
	i, err := strconv.Atoi(num)
	if err != nil || i <= 0 {
		return "", fmt.Errorf("image number %q", num)
	}
	return filepath.Join(name, fmt.Sprintf("%s_%04d.jpg", name, i)), nil
}
