package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"time"
)

// Person is someone the box may recognise.
type Person struct {
	ID     string
	Name   string
	Unit   string
	Source string // "local" or "city"
}

// Template is one face template of a person, encoded by the vision
// package; the store keeps the bytes as they are.
type Template struct {
	Person      string
	Model       string
	Vec         []byte
	PhotoSHA256 string
	Quality     string // JSON
	EnrolledAt  time.Time
}

// ErrDuplicatePhoto means the photo was enrolled before.
var ErrDuplicatePhoto = errors.New("store: this photo is enrolled already")

// AddTemplates saves a person (their name and unit replace what was
// kept) and adds their templates, in one transaction: a batch of photos is
// enrolled whole or not at all.
func (s *Store) AddTemplates(ctx context.Context, p Person, ts []Template) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO people(id, name, unit, source) VALUES (?, ?, ?, ?)
			ON CONFLICT(id) DO UPDATE SET name = excluded.name, unit = excluded.unit, source = excluded.source`,
			p.ID, p.Name, p.Unit, p.Source); err != nil {
			return fmt.Errorf("store: save person %s: %w", p.ID, err)
		}
		for _, t := range ts {
			if t.PhotoSHA256 != "" {
				var n int
				if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM templates WHERE model = ? AND photo_sha256 = ?`, t.Model, t.PhotoSHA256).Scan(&n); err != nil {
					return err
				}
				if n > 0 {
					return fmt.Errorf("%w (sha256 %s)", ErrDuplicatePhoto, t.PhotoSHA256)
				}
			}
			quality := t.Quality
			if quality == "" {
				quality = "{}"
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO templates(person_id, model, vec, photo_sha256, quality, enrolled_ns) VALUES (?, ?, ?, ?, ?, ?)`,
				p.ID, t.Model, s.seal.seal(t.Vec, templateAD(p.ID, t.Model)...), t.PhotoSHA256, quality, t.EnrolledAt.UnixNano()); err != nil {
				return fmt.Errorf("store: save template of %s: %w", p.ID, err)
			}
		}
		return bumpTemplatesVersion(ctx, tx)
	})
}

// Person returns one person; sql.ErrNoRows wrapped when unknown.
func (s *Store) Person(ctx context.Context, id string) (Person, error) {
	p := Person{ID: id}
	err := s.db.QueryRowContext(ctx, `SELECT name, unit, source FROM people WHERE id = ?`, id).Scan(&p.Name, &p.Unit, &p.Source)
	if err != nil {
		return p, fmt.Errorf("store: person %s: %w", id, err)
	}
	return p, nil
}

// TemplatesVersion changes whenever templates are added or deleted, also
// by another process (roomgate enroll), so the agent knows to reload its
// gallery without reading it.
func (s *Store) TemplatesVersion(ctx context.Context) (string, error) {
	return s.Setting(ctx, settingTemplatesVersion)
}

const settingTemplatesVersion = "templates.version"

// bumpTemplatesVersion is called inside every transaction that changes
// templates.
func bumpTemplatesVersion(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO settings(key, value) VALUES (?, '1')
		ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)`, settingTemplatesVersion)
	return err
}

// DeletePerson forgets a person and their templates; false when there was
// no such person.
func (s *Store) DeletePerson(ctx context.Context, id string) (bool, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM people WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		return bumpTemplatesVersion(ctx, tx)
	})
	if err != nil {
		return false, fmt.Errorf("store: delete person %s: %w", id, err)
	}
	return n > 0, nil
}

// PersonSummary is a person with how many templates of a model they have.
type PersonSummary struct {
	Person
	Templates int
}

// People lists everyone with their template count for model, by id.
func (s *Store) People(ctx context.Context, model string) ([]PersonSummary, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT p.id, p.name, p.unit, p.source, count(t.seq)
		FROM people p LEFT JOIN templates t ON t.person_id = p.id AND t.model = ?
		GROUP BY p.id ORDER BY p.id`, model)
	if err != nil {
		return nil, fmt.Errorf("store: people: %w", err)
	}
	defer rows.Close()
	var out []PersonSummary
	for rows.Next() {
		var p PersonSummary
		if err := rows.Scan(&p.ID, &p.Name, &p.Unit, &p.Source, &p.Templates); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Unmatched lists the people with templates of other models than model and
// none of it, by id, with the other model and its template count: a box
// whose recognizer changed cannot recognise them until they are enrolled
// again.
func (s *Store) Unmatched(ctx context.Context, model string) ([]UnmatchedPerson, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT p.id, p.name, p.unit, p.source, t.model, count(*)
		FROM people p JOIN templates t ON t.person_id = p.id
		WHERE t.model <> ? AND NOT EXISTS (SELECT 1 FROM templates u WHERE u.person_id = p.id AND u.model = ?)
		GROUP BY p.id, t.model ORDER BY p.id, t.model`, model, model)
	if err != nil {
		return nil, fmt.Errorf("store: unmatched people: %w", err)
	}
	defer rows.Close()
	var out []UnmatchedPerson
	for rows.Next() {
		var p UnmatchedPerson
		if err := rows.Scan(&p.ID, &p.Name, &p.Unit, &p.Source, &p.Model, &p.Templates); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// UnmatchedPerson is a person enrolled with another model only.
type UnmatchedPerson struct {
	PersonSummary
	Model string // the model of their templates
}

// TemplateCount counts a model's templates, so a gallery can be sized
// before it is loaded.
func (s *Store) TemplateCount(ctx context.Context, model string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM templates WHERE model = ?`, model).Scan(&n)
	return n, err
}

// Templates yields a model's templates in person order, unsealed; Vec is
// only valid until the next iteration. Stopping early closes the query.
func (s *Store) Templates(ctx context.Context, model string) iter.Seq2[Template, error] {
	return func(yield func(Template, error) bool) {
		rows, err := s.db.QueryContext(ctx, `SELECT person_id, vec, photo_sha256, quality, enrolled_ns FROM templates WHERE model = ? ORDER BY person_id, seq`, model)
		if err != nil {
			yield(Template{}, fmt.Errorf("store: templates: %w", err))
			return
		}
		defer rows.Close()
		var buf []byte
		for rows.Next() {
			t := Template{Model: model}
			var ns int64
			var vec sql.RawBytes
			if err := rows.Scan(&t.Person, &vec, &t.PhotoSHA256, &t.Quality, &ns); err != nil {
				yield(Template{}, fmt.Errorf("store: templates: %w", err))
				return
			}
			if buf, err = s.seal.open(buf[:0], vec, templateAD(t.Person, model)...); err != nil {
				yield(Template{}, fmt.Errorf("store: template of %s: %w", t.Person, err))
				return
			}
			t.Vec, t.EnrolledAt = buf, time.Unix(0, ns)
			if !yield(t, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(Template{}, fmt.Errorf("store: templates: %w", err))
		}
	}
}
