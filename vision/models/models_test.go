package models

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestShippedModelsVerify(t *testing.T) {
	for _, m := range []Model{YuNet2022Mar, MobileFaceNetY1} {
		if _, err := m.Check("."); err != nil {
			t.Errorf("%s.Check(.) = %v, want nil", m.Name, err)
		}
	}
}

func TestVerifyErrors(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(YuNet2022Mar.File)
	if err != nil {
		t.Fatal(err)
	}
	altered := append([]byte(nil), src...)
	altered[len(altered)/2] ^= 0x01
	alteredPath := filepath.Join(dir, YuNet2022Mar.File)
	if err := os.WriteFile(alteredPath, altered, 0o644); err != nil {
		t.Fatal(err)
	}
	truncPath := filepath.Join(dir, "truncated.onnx")
	if err := os.WriteFile(truncPath, src[:1000], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, sum string
		want            []string
	}{
		{"missing", filepath.Join(dir, "nope.onnx"), YuNet2022Mar.SHA256, []string{"nope.onnx", "not found", "restore it from vision/models"}},
		{"altered", alteredPath, YuNet2022Mar.SHA256, []string{YuNet2022Mar.File, "sha256 mismatch", "altered", "restore it from vision/models"}},
		{"truncated", truncPath, YuNet2022Mar.SHA256, []string{"truncated.onnx", "sha256 mismatch"}},
		{"no sum", YuNet2022Mar.File, "", []string{"no valid sha256", "sha256sum"}},
		{"bad sum", YuNet2022Mar.File, "xyz", []string{"no valid sha256"}},
	} {
		err := Verify(tc.path, tc.sum)
		if err == nil {
			t.Errorf("%s: Verify(%s) = nil, want error", tc.name, tc.path)
			continue
		}
		if !errors.Is(err, ErrModel) {
			t.Errorf("%s: Verify error %v does not wrap ErrModel", tc.name, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: Verify = %q, want it to contain %q", tc.name, err, w)
			}
		}
	}
	// Upper-case digests, as some tools print them, are accepted.
	if err := Verify(YuNet2022Mar.File, strings.ToUpper(YuNet2022Mar.SHA256)); err != nil {
		t.Errorf("Verify(upper-case sum) = %v, want nil", err)
	}
}

func TestDir(t *testing.T) {
	d, err := Dir()
	if err != nil {
		t.Fatalf("Dir() = %v", err)
	}
	if _, err := os.Stat(filepath.Join(d, MobileFaceNetY1.File)); err != nil {
		t.Errorf("Dir() = %s, which lacks %s", d, MobileFaceNetY1.File)
	}
	t.Setenv("ROOMGATE_MODELS", "/somewhere")
	if d, _ := Dir(); d != "/somewhere" {
		t.Errorf("Dir() with ROOMGATE_MODELS = %s, want /somewhere", d)
	}
}

// TestDlibMissingSaysMakeModels: the dlib model is built, so its absence
// has its own remedy.
func TestDlibMissingSaysMakeModels(t *testing.T) {
	_, err := DlibResNetV1.Check(t.TempDir())
	if !errors.Is(err, ErrModel) || !strings.Contains(err.Error(), "make models") || !strings.Contains(err.Error(), DlibResNetV1.File) {
		t.Errorf("Check of a missing dlib model = %v, want an ErrModel naming the file and make models", err)
	}
}
