//go:build vision

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/agent/enrol"
	"github.com/roomgate/roomgate/internal/shared"
)

// enrolConfig writes a minimal config whose store is in dir.
func enrolConfig(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "roomgate.yaml")
	yaml := "identity: {site: test-site, gate: test-gate, device: test-box}\nboard: sim\nstore: {path: roomgate.db}\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

type enrolResult struct {
	Photos   []enrol.PhotoReport `json:"photos"`
	Accepted int                 `json:"accepted"`
	Refused  int                 `json:"refused"`
}

func enrolJSON(t *testing.T, args ...string) (enrolResult, error, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(append([]string{"enroll", "--json"}, args...), &stdout, &stderr)
	var res enrolResult
	if jerr := json.Unmarshal(stdout.Bytes(), &res); jerr != nil {
		t.Fatalf("roomgate enroll --json %v printed %q, not JSON: %v; stderr %s", args, stdout.String(), jerr, stderr.String())
	}
	return res, err, stderr.String()
}

func TestEnrollOnePerson(t *testing.T) {
	faces := shared.Need(t, "datasets/known_faces_small")
	dir := t.TempDir()
	cfg := enrolConfig(t, dir)
	var stdout, stderr bytes.Buffer
	err := run([]string{"enroll", "--config", cfg, "--id", "P-obama", "--name", "Barack Obama", "--unit", "Ban Đối ngoại",
		filepath.Join(faces, "obama/obama.jpg"), filepath.Join(faces, "obama/obama1.jpg")}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("enroll obama = %v; %s%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"PHOTO", "obama.jpg", "P-obama", "accepted", "2 accepted, 0 refused\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("enroll obama printed\n%s\nwant %q in it", out, want)
		}
	}
	if want := "enrolling 1/2\nenrolling 2/2\n"; stderr.String() != want {
		t.Errorf("enroll obama progress on stderr = %q, want %q (not a terminal: a line per photo)", stderr.String(), want)
	}

	// A duplicate under another id is refused and named; the run exits
	// non-zero but enrols what passed.
	stdout.Reset()
	stderr.Reset()
	err = run([]string{"enroll", "--config", cfg, "--id", "P-1", "--name", "Nguyễn Văn An",
		filepath.Join(faces, "obama/obama2.jpg"), filepath.Join(faces, "biden/biden.jpg")}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "1 of 2 photos refused") {
		t.Errorf("enroll obama2 as P-1 = %v, want 1 of 2 photos refused", err)
	}
	if out := stdout.String(); !strings.Contains(out, "duplicate_person") || !strings.Contains(out, "P-obama (Barack Obama)") || !strings.Contains(out, "1 accepted, 1 refused") {
		t.Errorf("enroll obama2 as P-1 printed\n%s\nwant duplicate_person naming P-obama (Barack Obama)", out)
	}
}

func TestEnrollCSV(t *testing.T) {
	faces := shared.Need(t, "datasets/known_faces_small")
	dir := t.TempDir()
	cfg := enrolConfig(t, dir)
	photos := filepath.Join(dir, "photos")
	copyFile(t, filepath.Join(faces, "obama/obama.jpg"), filepath.Join(photos, "obama.jpg"))
	copyFile(t, filepath.Join(faces, "obama/obama1.jpg"), filepath.Join(photos, "obama1.jpg"))
	copyFile(t, filepath.Join(faces, "biden/biden.jpg"), filepath.Join(photos, "biden.jpg"))
	copyFile(t, filepath.Join(faces, "_groups/two_people.jpg"), filepath.Join(photos, "group.jpg"))
	list := filepath.Join(dir, "people.csv")
	csv := "\ufeffid,name,unit,photo\n" +
		"P-obama,Barack Obama,Ban Đối ngoại,photos/obama.jpg\n" +
		"P-biden,Joe Biden,,photos/biden.jpg\n" +
		"P-obama,Barack Obama,Ban Đối ngoại,photos/obama1.jpg\n" +
		"P-group,Group,,photos/group.jpg\n"
	if err := os.WriteFile(list, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err, _ := enrolJSON(t, "--config", cfg, "--csv", list)
	if err == nil || res.Accepted != 3 || res.Refused != 1 {
		t.Errorf("enroll --csv = %v, %d accepted, %d refused; want an error, 3 and 1", err, res.Accepted, res.Refused)
	}
	if len(res.Photos) == 4 {
		if r := res.Photos[3]; r.Reason != enrol.ReasonSeveralFaces || r.Faces != 2 {
			t.Errorf("enroll --csv group.jpg = %+v, want several_faces, 2 faces", r)
		}
		if r := res.Photos[0]; r.Person != "P-obama" || r.Quality == nil || r.Quality.Measures.Size == 0 {
			t.Errorf("enroll --csv obama.jpg report = %+v, want P-obama with its quality measures", r)
		}
	}

	// --largest enrols the largest face (Biden's) of the group photo, as Biden.
	if err := os.WriteFile(list, []byte("id,name,photo\nP-biden,Joe Biden,photos/group.jpg\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if res, err, _ := enrolJSON(t, "--config", cfg, "--largest", "--csv", list); err != nil || res.Accepted != 1 {
		t.Errorf("enroll --largest --csv group.jpg as P-biden = %v, %+v, want accepted", err, res.Photos)
	}

	for _, c := range []struct{ csv, want string }{
		{"id,name\nP-1,An\n", `no "photo" column`},
		{"id,name,photo\nP-1,,a.jpg\n", "people.csv:2: id, name and photo must not be empty"},
		{"id,name,photo\nP-1,An,a.jpg\nP-1,Bình,b.jpg\n", "people.csv:3: P-1 is"},
		{"id,name,photo\n", "lists no photos"},
		{"id,name,photo\nP-1,\"An,a.jpg\n", "people.csv"},
	} {
		if err := os.WriteFile(list, []byte(c.csv), 0o600); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		if err := run([]string{"enroll", "--config", cfg, "--csv", list}, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("enroll --csv %q = %v, want an error with %q", c.csv, err, c.want)
		}
	}
}

func TestEnrollDir(t *testing.T) {
	faces := shared.Need(t, "datasets/known_faces_small")
	dir := t.TempDir()
	cfg := enrolConfig(t, dir)
	people := filepath.Join(dir, "people")
	copyFile(t, filepath.Join(faces, "obama/obama.jpg"), filepath.Join(people, "P-obama", "a.jpg"))
	copyFile(t, filepath.Join(faces, "obama/obama1.jpg"), filepath.Join(people, "P-obama", "b.JPG"))
	copyFile(t, filepath.Join(faces, "rose_leslie/img1.jpg"), filepath.Join(people, "P-rose", "1.jpg"))
	copyFile(t, filepath.Join(faces, "_groups/two_people.jpg"), filepath.Join(people, "_unsorted", "1.jpg"))
	if err := os.WriteFile(filepath.Join(people, "P-obama", "person.txt"), []byte("Barack Obama\nBan Đối ngoại\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(people, "P-obama", "notes.txt"), []byte("not a photo"), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err, _ := enrolJSON(t, "--config", cfg, "--dir", people)
	if err != nil || res.Accepted != 3 || len(res.Photos) != 3 {
		t.Fatalf("enroll --dir = %v, %+v, want 3 accepted (and _unsorted skipped)", err, res.Photos)
	}
	want := []struct{ person, name string }{{"P-obama", "Barack Obama"}, {"P-obama", "Barack Obama"}, {"P-rose", "P-rose"}}
	for i, w := range want {
		if r := res.Photos[i]; r.Person != w.person || r.Name != w.name {
			t.Errorf("enroll --dir photo %d = %s %q, want %s %q", i, r.Person, r.Name, w.person, w.name)
		}
	}
	// The same folder again: every photo is enrolled already.
	res, err, _ = enrolJSON(t, "--config", cfg, "--dir", people)
	if err == nil || res.Refused != 3 || res.Photos[0].Reason != enrol.ReasonAlreadyEnrolled {
		t.Errorf("enroll --dir again = %v, %+v, want all already_enrolled", err, res.Photos)
	}
}

func TestEnrollUsage(t *testing.T) {
	cfg := enrolConfig(t, t.TempDir())
	for _, c := range []struct {
		args []string
		want string // in the error, or "" for the usage
	}{
		{[]string{"--config", cfg}, ""},
		{[]string{"--config", cfg, "--id", "P-1", "--csv", "a.csv"}, ""},
		{[]string{"--config", cfg, "--bogus"}, ""},
		{[]string{"--config", cfg, "--id", "P-1", "a.jpg"}, "--id, --name and at least one PHOTO"},
		{[]string{"--config", cfg, "--id", "P-1", "--name", "An", "a.jpg", "--largest"}, "flags go before them"},
		{[]string{"--config", cfg, "--dir", t.TempDir()}, "no subfolder of photos"},
		{[]string{"--config", filepath.Join(t.TempDir(), "none.yaml"), "--id", "P-1", "--name", "An", "a.jpg"}, "none.yaml"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(append([]string{"enroll"}, c.args...), &stdout, &stderr)
		switch {
		case c.want == "" && (!errors.Is(err, errUsage) || !strings.Contains(stderr.String(), "usage:")):
			t.Errorf("enroll %v = %v, stderr %q; want the usage", c.args, err, stderr.String())
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("enroll %v = %v, want an error with %q", c.args, err, c.want)
		}
	}
	// A photo that is not there is a refused photo, not a failed run.
	var stdout, stderr bytes.Buffer
	err := run([]string{"enroll", "--config", cfg, "--id", "P-1", "--name", "An", filepath.Join(t.TempDir(), "missing.jpg")}, &stdout, &stderr)
	if err == nil || !strings.Contains(stdout.String(), enrol.ReasonUnreadable) {
		t.Errorf("enroll missing.jpg = %v, %q; want refused %s", err, stdout.String(), enrol.ReasonUnreadable)
	}
}

// A box whose recognizer changed from MobileFaceNet to dlib's names the
// people enrolled with the old one, says what to do, and exits non-zero
// even though every photo of the run was accepted.
func TestEnrollAfterTheModelChanged(t *testing.T) {
	faces := shared.Need(t, "datasets/known_faces_small")
	dir := t.TempDir()
	cfg := enrolConfig(t, dir)
	research, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, append(research, "vision: {recognizer: mobilefacenet_y1}\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := run([]string{"enroll", "--config", cfg, "--id", "P-obama", "--name", "Barack Obama", filepath.Join(faces, "obama/obama.jpg")}, &stdout, &stderr); err != nil {
		t.Fatalf("enroll obama with MobileFaceNet = %v; %s%s", err, stdout.String(), stderr.String())
	}
	cfg = enrolConfig(t, dir) // the default recognizer, dlib's
	stdout.Reset()
	err = run([]string{"enroll", "--config", cfg, "--id", "P-biden", "--name", "Joe Biden", filepath.Join(faces, "biden/biden.jpg")}, &stdout, &stderr)
	if err == nil || err.Error() != "enroll: templates of another model than this box's dlib-resnet-v1: enrol those people again from their photos" {
		t.Errorf("enroll biden on the box now running dlib = %v, want the other model's people refused with what to do", err)
	}
	for _, want := range []string{"1 accepted, 0 refused\n", "not recognised by this box (templates of another model only):\n",
		"  P-obama has templates of mobilefacenet-insightface-y1 only (1); this box runs dlib-resnet-v1: templates of two models never match, so P-obama is not recognised: enrol them again from their photos\n"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("enroll biden printed\n%s\nwant %q in it", stdout.String(), want)
		}
	}
}
