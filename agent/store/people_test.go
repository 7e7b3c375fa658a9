package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestPeopleAndTemplates(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	at := time.Unix(1_800_000_000, 0)
	an := Person{ID: "P-an", Name: "Nguyễn Văn An", Unit: "Văn phòng", Source: "local"}
	if err := s.AddTemplates(ctx, an, []Template{
		{Model: "m1", Vec: []byte{1, 2, 3, 4}, PhotoSHA256: "aa", Quality: `{"size":120}`, EnrolledAt: at},
		{Model: "m1", Vec: []byte{5, 6, 7, 8}, PhotoSHA256: "bb", EnrolledAt: at},
		{Model: "m2", Vec: []byte{9}, PhotoSHA256: "aa", EnrolledAt: at},
	}); err != nil {
		t.Fatal(err)
	}
	binh := Person{ID: "P-binh", Name: "Trần Thị Bình", Source: "city"}
	if err := s.AddTemplates(ctx, binh, []Template{{Model: "m1", Vec: []byte{10, 11, 12, 13}, EnrolledAt: at}}); err != nil {
		t.Fatal(err)
	}

	v1, _ := s.TemplatesVersion(ctx)
	if p, err := s.Person(ctx, "P-an"); err != nil || p != an {
		t.Errorf("Person(P-an) = %+v, %v", p, err)
	}
	if _, err := s.Person(ctx, "P-nobody"); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("Person(unknown) = %v, want sql.ErrNoRows", err)
	}

	people, err := s.People(ctx, "m1")
	if err != nil || len(people) != 2 || people[0].Person != an || people[0].Templates != 2 || people[1].Templates != 1 {
		t.Fatalf("People(m1) = %+v, %v", people, err)
	}
	if n, err := s.TemplateCount(ctx, "m1"); n != 3 || err != nil {
		t.Errorf("TemplateCount(m1) = %d, %v, want 3", n, err)
	}
	var got []Template
	for tpl, err := range s.Templates(ctx, "m1") {
		if err != nil {
			t.Fatal(err)
		}
		tpl.Vec = bytes.Clone(tpl.Vec)
		got = append(got, tpl)
	}
	if len(got) != 3 || got[0].Person != "P-an" || !bytes.Equal(got[1].Vec, []byte{5, 6, 7, 8}) || got[2].Person != "P-binh" ||
		got[0].Quality != `{"size":120}` || got[1].Quality != "{}" || !got[0].EnrolledAt.Equal(at) {
		t.Errorf("Templates(m1) = %+v", got)
	}
	for range s.Templates(ctx, "m1") {
		break // stopping early must close the query, or the next write would wait for it
	}

	// A batch with a photo enrolled before is refused whole.
	err = s.AddTemplates(ctx, Person{ID: "P-an", Name: "renamed", Source: "local"}, []Template{
		{Model: "m1", Vec: []byte{1}, PhotoSHA256: "cc", EnrolledAt: at},
		{Model: "m1", Vec: []byte{1}, PhotoSHA256: "bb", EnrolledAt: at},
	})
	if !errors.Is(err, ErrDuplicatePhoto) {
		t.Errorf("AddTemplates(an enrolled photo) = %v, want ErrDuplicatePhoto", err)
	}
	if people, _ := s.People(ctx, "m1"); people[0].Name != an.Name || people[0].Templates != 2 {
		t.Errorf("after a refused batch: %+v, want it unchanged", people[0])
	}

	if v, _ := s.TemplatesVersion(ctx); v != v1 {
		t.Errorf("a refused batch changed the templates version %s to %s", v1, v)
	}
	if ok, err := s.DeletePerson(ctx, "P-an"); !ok || err != nil {
		t.Fatalf("DeletePerson(P-an) = %v, %v", ok, err)
	}
	if v, _ := s.TemplatesVersion(ctx); v == v1 || v == "" {
		t.Errorf("templates version after a deletion = %q, was %q: want a change", v, v1)
	}
	if ok, _ := s.DeletePerson(ctx, "P-an"); ok {
		t.Error("DeletePerson twice reported a deletion")
	}
	if n, _ := s.TemplateCount(ctx, "m1"); n != 1 {
		t.Errorf("TemplateCount(m1) after deleting P-an = %d, want 1: templates go with their person", n)
	}
	if n, _ := s.TemplateCount(ctx, "m2"); n != 0 {
		t.Errorf("TemplateCount(m2) = %d, want 0", n)
	}
}

// Unmatched lists who has templates of other models only, per model.
func TestUnmatched(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	add := func(p Person, models ...string) {
		t.Helper()
		var ts []Template
		for i, m := range models {
			ts = append(ts, Template{Model: m, Vec: []byte{byte(i + 1)}})
		}
		if err := s.AddTemplates(ctx, p, ts); err != nil {
			t.Fatal(err)
		}
	}
	add(Person{ID: "P-both", Name: "Both", Source: "local"}, "dlib", "mfn")
	add(Person{ID: "P-dlib", Name: "Dlib", Source: "local"}, "dlib")
	add(Person{ID: "P-mfn", Name: "Old", Source: "local"}, "mfn", "mfn")
	add(Person{ID: "city-1", Name: "City", Source: "city"}, "mfn", "sface")
	got, err := s.Unmatched(ctx, "dlib")
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, p := range got {
		rows = append(rows, fmt.Sprintf("%s %s %s %d", p.ID, p.Source, p.Model, p.Templates))
	}
	if want := []string{"P-mfn local mfn 2", "city-1 city mfn 1", "city-1 city sface 1"}; !slices.Equal(rows, want) {
		t.Errorf("Unmatched(dlib) = %q, want %q", rows, want)
	}
	if got, err := s.Unmatched(ctx, "mfn"); err != nil || len(got) != 1 || got[0].ID != "P-dlib" {
		t.Errorf("Unmatched(mfn) = %+v, %v; want P-dlib only", got, err)
	}
}
