package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roomgate/roomgate/internal/migrations"
)

// vecBytes encodes floats as vision/gallery does: what a template is in
// the clear.
func vecBytes(n int, seed float32) []byte {
	b := make([]byte, 4*n)
	for i := range n {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(seed+float32(i)*0.001))
	}
	return b
}

// storeBytes is everything SQLite keeps of the database on disk.
func storeBytes(t *testing.T, path string) []byte {
	t.Helper()
	var all []byte
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// withUmask runs the test under the umask most shells have, so that files
// are 0644 unless the store makes them otherwise.
func withUmask(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
}

func TestOpenMakesFilesOwnerOnly(t *testing.T) {
	withUmask(t)
	path := filepath.Join(t.TempDir(), "roomgate.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e, ev := entryAndEvent("e1", time.Now())
	if err := s.AddEntry(context.Background(), e, ev); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", DefaultKeyFile(path)} {
		if m := mode(t, p); m != 0o600 {
			t.Errorf("mode of %s after Open and a write = %v, want 0600", filepath.Base(p), m)
		}
	}
	var secure int
	if err := s.db.QueryRow(`PRAGMA secure_delete`).Scan(&secure); err != nil || secure != 1 {
		t.Errorf("PRAGMA secure_delete = %d, %v, want 1", secure, err)
	}
}

func TestOpenTightensAnOldStore(t *testing.T) {
	withUmask(t)
	path := filepath.Join(t.TempDir(), "roomgate.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if m := mode(t, path); m != 0o600 {
		t.Errorf("mode after reopening a 0644 store = %v, want 0600", m)
	}
	if n := s.Notes(); len(n) != 1 || !strings.Contains(n[0], "was mode -rw-r--r--") {
		t.Errorf("Notes() = %q, want one saying the mode was tightened", n)
	}
}

func TestTemplatesAreSealedOnDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roomgate.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	local, city := vecBytes(128, 0.25), vecBytes(128, -0.5)
	if err := s.AddTemplates(ctx, Person{ID: "P-an", Name: "An", Source: "local"}, []Template{{Model: "m1", Vec: local}}); err != nil {
		t.Fatal(err)
	}
	chunk := []byte(`{"version":3,"index":0,"people":[{"id":"P-binh","name":"Trần Thị Bình","unit":"Sở Nội vụ"}]}`)
	if _, err := s.StageGalleryChunk(ctx, 3, 0, chunk); err != nil {
		t.Fatal(err)
	}
	err = s.SwapCityGallery(ctx, 3, "m1", func(int, []byte) ([]CityPerson, error) {
		return []CityPerson{{ID: "P-binh", Name: "Bình", Templates: [][]byte{city}}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.StageGalleryChunk(ctx, 4, 0, chunk); err != nil {
		t.Fatal(err)
	}
	// The bytes on disk, while the store is open (WAL) and after it closed.
	for _, when := range []string{"open", "closed"} {
		raw := storeBytes(t, path)
		for name, plain := range map[string][]byte{"local template": local, "city template": city, "staged chunk": chunk} {
			if bytes.Contains(raw, plain[:64]) {
				t.Errorf("the store's files (%s) hold the %s in the clear", when, name)
			}
		}
		s.Close()
	}
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := map[string][]byte{}
	for tp, err := range s.Templates(ctx, "m1") {
		if err != nil {
			t.Fatal(err)
		}
		got[tp.Person] = slices.Clone(tp.Vec)
	}
	if !bytes.Equal(got["P-an"], local) || !bytes.Equal(got["P-binh"], city) || len(got) != 2 {
		t.Errorf("Templates(m1) after reopening did not give back the two templates as added")
	}
	var staged []byte
	if err := s.EachGalleryChunk(ctx, 4, func(_ int, p []byte) error { staged = p; return nil }); err != nil || !bytes.Equal(staged, chunk) {
		t.Errorf("EachGalleryChunk(4) = %q, %v, want the chunk as staged", staged, err)
	}
}

func TestSealedRowsCannotBeSwapped(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	for _, id := range []string{"P-a", "P-b"} {
		if err := s.AddTemplates(ctx, Person{ID: id, Name: id, Source: "local"}, []Template{{Model: "m1", Vec: vecBytes(4, 1)}}); err != nil {
			t.Fatal(err)
		}
	}
	// Someone with write access gives P-b's template to P-a.
	if _, err := s.db.Exec(`UPDATE templates SET vec = (SELECT vec FROM templates WHERE person_id = 'P-b') WHERE person_id = 'P-a'`); err != nil {
		t.Fatal(err)
	}
	for _, err := range s.Templates(ctx, "m1") {
		if err == nil {
			continue
		}
		if !strings.Contains(err.Error(), "P-a") {
			t.Errorf("Templates() error = %v, want one naming P-a", err)
		}
		return
	}
	t.Errorf("Templates() gave a template moved to another person without an error")
}

func TestKeyFileRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "roomgate.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	other := make([]byte, KeySize)
	rand.Read(other)
	for _, c := range []struct {
		name string
		key  []byte
		mode os.FileMode
		want string
	}{
		{"another key", other, 0o600, "is not the key"},
		{"readable by others", other, 0o644, "chmod 600"},
		{"short", other[:16], 0o600, "holds 16 bytes, want 32"},
	} {
		t.Run(c.name, func(t *testing.T) {
			kf := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".key")
			if err := os.WriteFile(kf, c.key, c.mode); err != nil {
				t.Fatal(err)
			}
			os.Chmod(kf, c.mode)
			s, err := OpenWith(path, Options{KeyFile: kf})
			if err == nil {
				s.Close()
			}
			if !errors.Is(err, ErrKey) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("OpenWith(key file %s) = %v, want ErrKey saying %q", c.name, err, c.want)
			}
		})
	}
	// The right key still opens it.
	s, err = OpenWith(path, Options{KeyFile: DefaultKeyFile(path)})
	if err != nil {
		t.Fatalf("OpenWith(the store's own key) = %v", err)
	}
	s.Close()
}

// oldStore writes a store as roomgate wrote it before templates were
// sealed: the first five migrations, mode 0644, templates and a staged
// chunk in the clear.
func oldStore(t *testing.T, path string, vecs map[string][]byte, chunk []byte) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // BEGIN and COMMIT on one connection
	ms, err := migrations.After(migrationFiles, 0)
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_ns INTEGER NOT NULL)`)
	for _, m := range ms {
		if m.Version <= 5 {
			exec(m.SQL)
			exec(`INSERT INTO schema_migrations VALUES (?, 0)`, m.Version)
		}
	}
	exec(`BEGIN`)
	for id, v := range vecs {
		exec(`INSERT INTO people(id, name, source) VALUES (?, 'x', 'city')`, id)
		exec(`INSERT INTO templates(person_id, model, vec, enrolled_ns) VALUES (?, 'm1', ?, 0)`, id, v)
	}
	exec(`INSERT INTO city_gallery_chunks(version, idx, payload, staged_ns) VALUES (7, 0, ?, 0)`, chunk)
	exec(`COMMIT`)
	os.Chmod(path, 0o644)
}

func TestOpenSealsAnOldPlaintextStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roomgate.db")
	vecs := map[string][]byte{}
	for i := range 1500 { // more than one page of the sealing loop
		vecs[fmt.Sprintf("P-%04d", i)] = vecBytes(128, float32(i))
	}
	chunk := []byte(`{"people":[{"id":"P-old","name":"Lê Văn Cũ","templates":["AAAA"]}]}`)
	oldStore(t, path, vecs, chunk)
	start := time.Now()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Open sealed the old store in %v", time.Since(start))
	ctx := context.Background()
	if n := strings.Join(s.Notes(), "; "); !strings.Contains(n, "sealed 1501 plaintext") || !strings.Contains(n, "was mode") {
		t.Errorf("Notes() = %q, want the mode tightened and 1501 rows sealed", n)
	}
	got := 0
	for tp, err := range s.Templates(ctx, "m1") {
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(tp.Vec, vecs[tp.Person]) {
			t.Errorf("template of %s changed in sealing", tp.Person)
		}
		got++
	}
	if got != len(vecs) {
		t.Errorf("Templates(m1) after sealing gave %d templates, want %d: none lost", got, len(vecs))
	}
	var staged []byte
	if err := s.EachGalleryChunk(ctx, 7, func(_ int, p []byte) error { staged = p; return nil }); err != nil || !bytes.Equal(staged, chunk) {
		t.Errorf("EachGalleryChunk(7) = %q, %v, want the old chunk", staged, err)
	}
	raw := storeBytes(t, path)
	// Every 16 bytes of the files looked up among the templates' first 16.
	heads := map[string]string{}
	for id, v := range vecs {
		heads[string(v[:16])] = id
	}
	for i := 0; i+16 <= len(raw); i++ {
		if id, ok := heads[string(raw[i:i+16])]; ok {
			t.Fatalf("the store's files still hold %s's template in the clear at byte %d", id, i)
		}
	}
	if bytes.Contains(raw, []byte("Lê Văn Cũ")) {
		t.Errorf("the store's files still hold the staged chunk in the clear")
	}
	s.Close()
	// Sealed once: reopening seals nothing again.
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := s.Notes(); len(n) != 0 {
		t.Errorf("Notes() on the second open = %q, want none", n)
	}
}

func TestVisitTemplatesAreSealed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roomgate.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	face := vecBytes(128, 0.75)
	v := Visit{ID: "v1", IDNumber: "001099012345", Name: "Trần Thị B", Host: "Sở Nội vụ", Gates: []string{"hq/main-gate"},
		NotBefore: time.Unix(100, 0), NotAfter: time.Unix(200, 0), Uses: 1, Model: "m1", Template: face}
	other := Visit{ID: "v2", IDNumber: "001099099999", Name: "Lê Văn C", Gates: []string{"hq"}, NotBefore: time.Unix(100, 0), NotAfter: time.Unix(300, 0), Uses: 1, Model: "m1", Template: vecBytes(128, -1)}
	if err := s.ReplaceVisits(ctx, []Visit{v, other}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(storeBytes(t, path), face[:64]) {
		t.Errorf("the store's files hold a visit's template in the clear")
	}
	got, err := s.VisitsFor(ctx, v.IDNumber)
	if err != nil || len(got) != 1 || !bytes.Equal(got[0].Template, face) || got[0].Model != "m1" {
		t.Fatalf("VisitsFor() = %+v, %v, want v1 with its template", got, err)
	}
	// Someone with write access gives v2's face to v1: it does not open.
	if _, err := s.db.Exec(`UPDATE visits SET template = (SELECT template FROM visits WHERE id = 'v2') WHERE id = 'v1'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.VisitsFor(ctx, v.IDNumber); err == nil || !strings.Contains(err.Error(), "v1") {
		t.Errorf("VisitsFor() with another visit's template = %v, want an error naming v1", err)
	}
	// A new list replaces the old whole.
	if err := s.ReplaceVisits(ctx, []Visit{other}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.VisitsFor(ctx, v.IDNumber); !errors.Is(err, ErrNoVisit) {
		t.Errorf("VisitsFor(v1's number) after a list without it = %v, want ErrNoVisit", err)
	}
	// Retention: a visit goes once its window (and the grace) has passed.
	purged, err := s.Purge(ctx, time.Unix(350, 0), Retention{Visits: 100 * time.Second})
	if err != nil || purged["visits"] != 0 {
		t.Errorf("Purge 50 s after v2 ended, grace 100 s = %v, %v; want nothing purged", purged, err)
	}
	purged, err = s.Purge(ctx, time.Unix(401, 0), Retention{Visits: 100 * time.Second})
	if _, verr := s.VisitsFor(ctx, other.IDNumber); err != nil || purged["visits"] != 1 || !errors.Is(verr, ErrNoVisit) {
		t.Errorf("Purge 101 s after v2 ended = %v, %v; VisitsFor = %v, want v2 purged", purged, err, verr)
	}
}
