package dlibconv

import (
	"fmt"
	"os"
	"path/filepath"
)

// PackageDir is where make models (build-dlib.sh) extracted the pinned
// package: ${ROOMGATE_CACHE:-${XDG_CACHE_HOME:-~/.cache}/roomgate}/face-api-1.7.15/package.
// Tests run the package's own TF.js networks from there.
func PackageDir() (string, error) {
	cache := os.Getenv("ROOMGATE_CACHE")
	if cache == "" {
		d, err := os.UserCacheDir()
		if err != nil {
			return "", err
		}
		cache = filepath.Join(d, "roomgate")
	}
	dir := filepath.Join(cache, "face-api-1.7.15", "package")
	if _, err := os.Stat(filepath.Join(dir, "model", WeightsFile)); err != nil {
		return "", fmt.Errorf("%s is not extracted (run make models): %w", Package, err)
	}
	return dir, nil
}
