package dlibconv

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/vision/models"
)

// packageDir is where make models extracted the pinned package.
func packageDir(t testing.TB) string {
	dir, err := PackageDir()
	if err != nil {
		t.Skip(err)
	}
	return dir
}

// The recorded sha256 was made by another run, so matching it shows the
// conversion is reproducible.
func TestConvertPinnedPackageIsReproducible(t *testing.T) {
	a, err := ConvertDir(filepath.Join(packageDir(t), "model"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(a)
	if got := hex.EncodeToString(sum[:]); got != models.DlibResNetV1.SHA256 {
		t.Errorf("converted model sha256 %s, want the recorded %s", got, models.DlibResNetV1.SHA256)
	}
}

// copyModel copies the pinned files to a temporary directory, passing the
// weights through edit.
func copyModel(t *testing.T, editManifest, editWeights func([]byte) []byte) string {
	src := filepath.Join(packageDir(t), "model")
	dst := t.TempDir()
	for name, edit := range map[string]func([]byte) []byte{ManifestFile: editManifest, WeightsFile: editWeights} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			b = edit(b)
		}
		if err := os.WriteFile(filepath.Join(dst, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func TestConvertRefusesAlteredFiles(t *testing.T) {
	flip := func(b []byte) []byte { b[len(b)/2] ^= 1; return b }
	cut := func(b []byte) []byte { return b[:len(b)-100] }
	for _, c := range []struct {
		name         string
		man, weights func([]byte) []byte
		want         string
	}{
		{"tampered weights", nil, flip, WeightsFile + ": sha256"},
		{"truncated weights", nil, cut, WeightsFile + ": sha256"},
		{"other manifest", func(b []byte) []byte { return bytes.Replace(b, []byte(`"fc"`), []byte(`"fc2"`), 1) }, nil, ManifestFile + ": sha256"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ConvertDir(copyModel(t, c.man, c.weights))
			if !errors.Is(err, ErrWeights) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("ConvertDir = %v, want a refusal saying %q", err, c.want)
			}
		})
	}
}

// Past the sha256 check (a package of another version that someone
// records), the network's own checks still refuse what does not fit.
func TestBuildRefusesAnotherNetwork(t *testing.T) {
	dir := filepath.Join(packageDir(t), "model")
	manifest, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	weights, err := os.ReadFile(filepath.Join(dir, WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, from, to, want string }{
		{"reshaped", `"shape":[7,7,3,32]`, `"shape":[7,7,32,3]`, "conv32_down/conv/filters has shape [7 7 32 3], the network needs [7 7 3 32]"},
		{"renamed", `"name":"conv32_down/conv/bias"`, `"name":"conv32_down/conv/b"`, "conv32_down/conv/bias missing"},
		{"truncated", `"name":"fc","shape":[256,128]`, `"name":"fc","shape":[256,129]`, "truncated"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := strings.Replace(string(manifest), c.from, c.to, 1)
			if m == string(manifest) {
				t.Fatalf("manifest has no %s", c.from)
			}
			w, err := ReadWeights([]byte(m), func(string) ([]byte, error) { return weights, nil })
			if err == nil {
				_, err = Build(w)
			}
			if !errors.Is(err, ErrWeights) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("convert = %v, want a refusal saying %q", err, c.want)
			}
		})
	}
}
