//go:build vision

package enrol

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/roomgate/roomgate/agent/facekit"
	"github.com/roomgate/roomgate/agent/store"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/internal/shared"
	"github.com/roomgate/roomgate/vision/face"
	"github.com/roomgate/roomgate/vision/models"
	"github.com/roomgate/roomgate/vision/quality"
)

// enrolConfig writes a minimal box config with its store in dir, and the
// given lines.
func enrolConfig(t *testing.T, dir string, lines ...string) *config.Config {
	t.Helper()
	path := filepath.Join(dir, "roomgate.yaml")
	yaml := "identity: {site: test-site, gate: test-gate, device: test-box}\nboard: sim\nstore: {path: roomgate.db}\n" + strings.Join(lines, "")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// enroll runs enrolment on the store and models of the config in dir, as
// agent.Enroll opens them.
func enroll(t *testing.T, cfg *config.Config, dir string, photos []Photo, opt Options) ([]PhotoReport, error) {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, cfg.Store.Path))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	kit, err := facekit.Open(cfg.Vision, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer kit.Close()
	return Run(context.Background(), st, kit, cfg.Vision, photos, opt)
}

// badPhotos writes the inputs enrolment must refuse without crashing and
// returns each file with the reason it must get.
func badPhotos(t *testing.T, dir, jpeg string) map[string]string {
	t.Helper()
	good, err := os.ReadFile(jpeg)
	if err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rnd.Uint32())
	}
	corrupt := append([]byte{0xff, 0xd8}, random...)

	// A PNG header claiming 100000×100000 pixels, with a valid CRC.
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 100000)
	binary.BigEndian.PutUint32(ihdr[4:], 100000)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	var huge bytes.Buffer
	huge.WriteString("\x89PNG\r\n\x1a\n")
	binary.Write(&huge, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	huge.Write(chunk)
	binary.Write(&huge, binary.BigEndian, crc32.ChecksumIEEE(chunk))

	// A plain grey picture: a readable image with no face.
	grey := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for i := range grey.Pix {
		grey.Pix[i] = 128
	}
	grey.Set(10, 10, color.Black)
	var blank bytes.Buffer
	if err := png.Encode(&blank, grey); err != nil {
		t.Fatal(err)
	}

	files := map[string][]byte{
		"empty.jpg":     nil,
		"truncated.jpg": good[:len(good)/2],
		"random.jpg":    random,
		"corrupt.jpg":   corrupt,
		"huge.png":      huge.Bytes(),
		"grey.png":      blank.Bytes(),
	}
	want := map[string]string{
		"empty.jpg":     ReasonEmptyImage,
		"truncated.jpg": ReasonBadImage,
		"random.jpg":    ReasonBadImage,
		"corrupt.jpg":   ReasonBadImage,
		"huge.png":      ReasonTooLarge,
		"grey.png":      ReasonNoFace,
		"missing.jpg":   ReasonUnreadable,
	}
	out := map[string]string{}
	for name, reason := range want {
		p := filepath.Join(dir, name)
		if b, ok := files[name]; ok {
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		out[p] = reason
	}
	return out
}

func TestEnroll(t *testing.T) {
	faces := shared.Need(t, "datasets/known_faces_small")
	dir := t.TempDir()
	cfg := enrolConfig(t, dir)
	obama := store.Person{ID: "P-obama", Name: "Barack Obama", Unit: "Ban Đối ngoại"}
	biden := store.Person{ID: "P-biden", Name: "Joe Biden"}
	impostor := store.Person{ID: "P-an", Name: "Nguyễn Văn An"}
	group := store.Person{ID: "P-group", Name: "Group"}
	photo := func(rel string) string { return filepath.Join(faces, rel) }

	// The first run: two people, and a photo of one of them under a third
	// name, which this run's own templates must catch.
	var progress []int
	reports, err := enroll(t, cfg, dir, []Photo{
		{obama, photo("obama/obama.jpg")},
		{biden, photo("biden/biden.jpg")},
		{impostor, photo("obama/obama2.jpg")},
		{obama, photo("obama/obama.jpg")},
	}, Options{Progress: func(done, total int) { progress = append(progress, done, total) }})
	if err != nil {
		t.Fatal(err)
	}
	checkReports(t, reports, true, true, false, false)
	checkReason(t, reports[2], ReasonDuplicatePerson)
	if m := reports[2].Match; m == nil || m.ID != "P-obama" || m.Name != "Barack Obama" || m.Score < cfg.Vision.MatchThreshold {
		t.Errorf("Enroll(obama2.jpg as P-an).Match = %+v, want P-obama (Barack Obama) at %.2f or more", m, cfg.Vision.MatchThreshold)
	}
	checkReason(t, reports[3], ReasonAlreadyEnrolled)
	if want := []int{1, 4, 2, 4, 3, 4, 4, 4}; !slices.Equal(progress, want) {
		t.Errorf("progress calls = %v, want %v", progress, want)
	}
	for _, r := range reports[:2] {
		if r.Quality == nil || !r.Quality.OK() || r.Sharpness == 0 || r.Brightness == 0 || r.Faces != 1 || len(r.SHA256) != 64 {
			t.Errorf("accepted report %+v lacks its quality report, measures or sha256", r)
		}
	}

	// The second run, against the store: the gallery now holds Obama.
	bad := badPhotos(t, dir, photo("obama/obama.jpg"))
	photos := []Photo{
		{obama, photo("obama/obama.jpg")},
		{impostor, photo("obama/obama2.jpg")},
		{group, photo("_groups/two_people.jpg")},
		{obama, photo("obama/obama1.jpg")},
	}
	for p := range bad {
		photos = append(photos, Photo{group, p})
	}
	reports, err = enroll(t, cfg, dir, photos, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkReason(t, reports[0], ReasonAlreadyEnrolled)
	checkReason(t, reports[1], ReasonDuplicatePerson)
	checkReason(t, reports[2], ReasonSeveralFaces)
	if !reports[3].Accepted {
		t.Errorf("Enroll(obama1.jpg as P-obama) = %+v, want accepted (the same person again)", reports[3])
	}
	for _, r := range reports[4:] {
		checkReason(t, r, bad[r.Path])
		if r.Detail == "" {
			t.Errorf("Enroll(%s) refused with no detail", r.Path)
		}
	}

	// A byte limit refuses a photo before it is decoded.
	reports, err = enroll(t, cfg, dir, []Photo{{biden, photo("biden/biden2.jpg")}}, Options{Limits: face.Limits{MaxBytes: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	checkReason(t, reports[0], ReasonTooLarge)

	// --largest takes the biggest face of a group photo: Biden, beside
	// Obama in two_people.jpg. Under another id it is a duplicate of Biden.
	reports, err = enroll(t, cfg, dir, []Photo{{group, photo("_groups/two_people.jpg")}, {biden, photo("_groups/two_people.jpg")}}, Options{Largest: true})
	if err != nil {
		t.Fatal(err)
	}
	checkReason(t, reports[0], ReasonDuplicatePerson)
	if m := reports[0].Match; m == nil || m.ID != "P-biden" {
		t.Errorf("Enroll(two_people.jpg as P-group, Largest).Match = %+v, want P-biden", m)
	}
	if !reports[1].Accepted || reports[1].Faces != 2 {
		t.Errorf("Enroll(two_people.jpg as P-biden, Largest) = %+v, want accepted, 2 faces", reports[1])
	}

	// Another person's photo filed under an enrolled id, someone the gallery
	// does not know yet: refused as not the same person, while a new photo
	// of the person goes in.
	reports, err = enroll(t, cfg, dir, []Photo{{biden, photo("kit_harington/john1.jpeg")}, {obama, photo("obama/obama3.jpg")}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkReason(t, reports[0], ReasonNotSamePerson)
	if !strings.Contains(reports[0].Detail, "P-biden (Joe Biden)") {
		t.Errorf("not_same_person detail %q, want it to name the person", reports[0].Detail)
	}
	if !reports[1].Accepted {
		t.Errorf("Enroll(obama3.jpg as P-obama) = %+v, want accepted", reports[1])
	}

	checkStore(t, cfg, filepath.Join(dir, "roomgate.db"), map[string]int{"P-obama": 3, "P-biden": 2},
		photo("obama/obama.jpg"), photo("biden/biden.jpg"))
}

// TestEnrollWholePerson: a person's accepted photos go in together, and a
// person none of whose photos passed is not saved at all.
func TestEnrollWholePerson(t *testing.T) {
	faces := shared.Need(t, "datasets/known_faces_small")
	dir := t.TempDir()
	cfg := enrolConfig(t, dir)
	kit := store.Person{ID: "P-kit", Name: "Kit Harington"}
	nobody := store.Person{ID: "P-nobody", Name: "Nobody"}
	bad := badPhotos(t, dir, filepath.Join(faces, "obama/obama.jpg"))
	photos := []Photo{
		{kit, filepath.Join(faces, "kit_harington/john1.jpeg")},
		{kit, filepath.Join(faces, "kit_harington/john2.jpeg")},
	}
	for p := range bad {
		photos = append(photos, Photo{nobody, p})
	}
	reports, err := enroll(t, cfg, dir, photos, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reports[0].Accepted || !reports[1].Accepted {
		t.Fatalf("Enroll(kit) = %+v, want both accepted", reports[:2])
	}
	checkStore(t, cfg, filepath.Join(dir, "roomgate.db"), map[string]int{"P-kit": 2})
}

// A box whose recognizer changed does not count the people enrolled with
// the other model as enrolled: each run's report names them, with what to
// do, until they are enrolled again from their photos; the other model's
// templates are left as they were. Both ways between dlib's model and
// MobileFaceNet.
func TestEnrollOtherModel(t *testing.T) {
	faces := shared.Need(t, "datasets/known_faces_small")
	obama := store.Person{ID: "P-obama", Name: "Barack Obama"}
	biden := store.Person{ID: "P-biden", Name: "Joe Biden"}
	const research = "vision: {recognizer: mobilefacenet_y1}\n"
	for _, c := range []struct {
		name          string
		before, after []string // config lines
	}{
		{"MobileFaceNet, then dlib", []string{research}, nil},
		{"dlib, then MobileFaceNet", nil, []string{research}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			old := enrolConfig(t, dir, c.before...)
			reports, err := enroll(t, old, dir, []Photo{{obama, filepath.Join(faces, "obama/obama.jpg")}}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkReports(t, reports, true)

			cfg := enrolConfig(t, dir, c.after...)
			reports, err = enroll(t, cfg, dir, []Photo{{biden, filepath.Join(faces, "biden/biden.jpg")}}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := "has templates of " + old.Vision.RecognizerName + " only (1); this box runs " + cfg.Vision.RecognizerName +
				": templates of two models never match, so P-obama is not recognised: enrol them again from their photos"
			if len(reports) != 2 || !reports[0].Accepted || reports[1].Person != "P-obama" || reports[1].Accepted ||
				reports[1].Reason != ReasonOtherModel || reports[1].Detail != want || reports[1].Path != "" {
				t.Fatalf("Enroll(biden) on a box of another model = %+v, want biden accepted and P-obama reported: %q", reports, want)
			}

			reports, err = enroll(t, cfg, dir, []Photo{{obama, filepath.Join(faces, "obama/obama1.jpg")}}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(reports) != 1 || !reports[0].Accepted {
				t.Errorf("Enroll(obama) again with the box's model = %+v, want accepted and nobody left to report", reports)
			}
			checkStore(t, cfg, filepath.Join(dir, "roomgate.db"), map[string]int{"P-obama": 1, "P-biden": 1})
			checkStore(t, old, filepath.Join(dir, "roomgate.db"), map[string]int{"P-obama": 1, "P-biden": 0})
		})
	}
}

// The city's people of another model are one line: the city, not the
// technician, publishes their gallery again.
func TestOtherModelReportsCity(t *testing.T) {
	unmatched := []store.UnmatchedPerson{
		{PersonSummary: store.PersonSummary{Person: store.Person{ID: "city-1", Source: "city"}, Templates: 2}, Model: "mobilefacenet-insightface-y1"},
		{PersonSummary: store.PersonSummary{Person: store.Person{ID: "city-2", Source: "city"}, Templates: 1}, Model: "mobilefacenet-insightface-y1"},
	}
	got := otherModelReports(unmatched, "dlib-resnet-v1")
	want := "2 of the city's people have templates of mobilefacenet-insightface-y1 only; this box runs dlib-resnet-v1: templates of two models never match: " +
		"the city enrols its photos again with the box's model (roomgate-city publish gallery with the box's config)"
	if len(got) != 1 || got[0].Reason != ReasonOtherModel || got[0].Detail != want || got[0].Person != "" {
		t.Errorf("otherModelReports(2 city people) = %+v, want one report %q", got, want)
	}
}

func checkReason(t *testing.T, r PhotoReport, want string) {
	t.Helper()
	if r.Accepted || r.Reason != want {
		t.Errorf("Enroll(%s as %s) = accepted %v, %q (%s), want refused %q", filepath.Base(r.Path), r.Person, r.Accepted, r.Reason, r.Detail, want)
	}
}

func checkReports(t *testing.T, reports []PhotoReport, accepted ...bool) {
	t.Helper()
	if len(reports) != len(accepted) {
		t.Fatalf("Enroll gave %d reports, want %d", len(reports), len(accepted))
	}
	for i, r := range reports {
		if r.Accepted != accepted[i] {
			t.Errorf("Enroll(%s as %s) accepted = %v (%s: %s), want %v", filepath.Base(r.Path), r.Person, r.Accepted, r.Reason, r.Detail, accepted[i])
		}
	}
}

// checkStore checks the store holds exactly these people with these many
// templates of cfg's recogniser, each a vector of its length with its
// photo's sha256 and quality report, and none of the photos' bytes.
func checkStore(t *testing.T, cfg *config.Config, db string, want map[string]int, photos ...string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	model, dim := cfg.Vision.RecognizerName, models.Recognizers[cfg.Vision.Recognizer].Dim
	people, err := st.People(ctx, model)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	total := 0
	for _, p := range people {
		got[p.ID] = p.Templates
		total += p.Templates
		if p.Source != "local" {
			t.Errorf("person %s source %q, want local", p.ID, p.Source)
		}
	}
	if len(got) != len(want) {
		t.Errorf("store people = %v, want %v", got, want)
	}
	for id, n := range want {
		if got[id] != n {
			t.Errorf("store people = %v, want %v", got, want)
			break
		}
	}
	if n, err := st.TemplateCount(ctx, model); err != nil || n != total {
		t.Errorf("TemplateCount = %d, %v, want %d", n, err, total)
	}
	for tm, err := range st.Templates(ctx, model) {
		if err != nil {
			t.Fatal(err)
		}
		if len(tm.Vec) != 4*dim {
			t.Errorf("template of %s is %d bytes, want %d (a vector, not a photo)", tm.Person, len(tm.Vec), 4*dim)
		}
		var q quality.Result
		if err := json.Unmarshal([]byte(tm.Quality), &q); err != nil || !q.OK() || q.Measures.Size == 0 {
			t.Errorf("template of %s quality %q (%v), want the gate's passing report", tm.Person, tm.Quality, err)
		}
		if len(tm.PhotoSHA256) != 64 {
			t.Errorf("template of %s photo sha256 %q", tm.Person, tm.PhotoSHA256)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	// No stretch of a photo's bytes is anywhere in the database files.
	var all []byte
	for _, suffix := range []string{"", "-wal"} {
		b, _ := os.ReadFile(db + suffix)
		all = append(all, b...)
	}
	for _, p := range photos {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if mid := b[len(b)/2 : len(b)/2+256]; bytes.Contains(all, mid) {
			t.Errorf("the store holds bytes of %s", p)
		}
	}
}
