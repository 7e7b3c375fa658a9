package gallery

import (
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite" // the store's driver, in tests only: the gallery itself knows no database
)

// sqliteSource reads templates the way agent/store will: one row a template,
// its vector as the bytes of Encode, scanned without a copy and decoded into
// one reused buffer (Build copies it).
func sqliteSource(db *sql.DB) Source {
	return func(yield func(Template, error) bool) {
		rows, err := db.Query(`SELECT person, model, template FROM templates ORDER BY rowid`)
		if err != nil {
			yield(Template{}, err)
			return
		}
		defer rows.Close()
		var vec []float32
		for rows.Next() {
			var t Template
			var blob sql.RawBytes
			if err := rows.Scan(&t.Person, &t.Model, &blob); err != nil {
				yield(Template{}, err)
				return
			}
			if vec, err = Decode(vec[:0], blob); err != nil {
				yield(Template{}, err)
				return
			}
			t.Vec = vec
			if !yield(t, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(Template{}, err)
		}
	}
}

// writeDB stores ts in a new SQLite database at path.
func writeDB(t testing.TB, path string, ts []Template) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE templates (person TEXT NOT NULL, model TEXT NOT NULL, template BLOB NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	ins, err := tx.Prepare(`INSERT INTO templates (person, model, template) VALUES (?, ?, ?)`)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range ts {
		if _, err := ins.Exec(tt.Person, tt.Model, Encode(tt.Vec)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestSQLite(t *testing.T) {
	w := newWorld(5, 128, 300)
	ts := w.templates(3)
	db := writeDB(t, filepath.Join(t.TempDir(), "gallery.db"), ts)
	want := mustBuild(t, Float32, 128, ts)
	for _, prec := range []Precision{Float32, Int8} {
		g, err := Build(Config{Model: testModel, Dim: 128, Precision: prec}, sqliteSource(db))
		if err != nil {
			t.Fatal(err)
		}
		if g.Len() != 900 || g.People() != 300 {
			t.Fatalf("loaded %v, want 900 templates of 300 people", g)
		}
		for p := range 300 {
			probe := w.sample(p)
			m, err := g.Top(testModel, probe, 2)
			if err != nil {
				t.Fatal(err)
			}
			ref, _ := want.Top(testModel, probe, 2)
			if m[0].Person != personID(p) || m[1].Person == m[0].Person {
				t.Errorf("%v: Top(sample of %s, 2) = %v, want %s first and another person", prec, personID(p), m, personID(p))
			}
			if prec == Float32 && m[0] != ref[0] {
				t.Errorf("loaded from SQLite: Top = %v, from memory %v", m, ref)
			}
		}
	}

	// A row of another model or a damaged blob fails the whole load.
	for _, c := range []struct {
		query string
		want  error
	}{
		{`INSERT INTO templates VALUES ('P-x', 'other-model', x'0000803f')`, ErrModel},
		{`UPDATE templates SET model = 'test-model', template = x'0000803f00' WHERE person = 'P-x'`, ErrDim},
	} {
		if _, err := db.Exec(c.query); err != nil {
			t.Fatal(err)
		}
		if g, err := Build(Config{Model: testModel, Dim: 128}, sqliteSource(db)); !errors.Is(err, c.want) {
			t.Errorf("after %s: Build = %v, %v; want error %v", c.query, g, err, c.want)
		}
	}
}
