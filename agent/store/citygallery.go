package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// GalleryStaging is the city gallery being received.
type GalleryStaging struct {
	Version  int64  // 0: nothing staged
	Manifest []byte // nil until the manifest came
	Chunks   []int  // indexes staged, ascending
}

// CityPerson is one person of a city gallery with their templates, each
// the bytes of vision/gallery.Encode.
type CityPerson struct {
	ID, Name, Unit string
	Templates      [][]byte
}

const settingCityGalleryVersion = "city_gallery.version"

// discardOtherStaging drops what is staged of any version but version.
func discardOtherStaging(ctx context.Context, tx *sql.Tx, version int64) error {
	for _, q := range []string{`DELETE FROM city_gallery_manifest WHERE version != ?`, `DELETE FROM city_gallery_chunks WHERE version != ?`} {
		if _, err := tx.ExecContext(ctx, q, version); err != nil {
			return err
		}
	}
	return nil
}

// StageGalleryManifest keeps a gallery's manifest, discarding what was
// staged of other versions.
func (s *Store) StageGalleryManifest(ctx context.Context, version int64, payload []byte) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := discardOtherStaging(ctx, tx, version); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO city_gallery_manifest(version, payload, staged_ns) VALUES (?, ?, ?)
			ON CONFLICT(version) DO UPDATE SET payload = excluded.payload, staged_ns = excluded.staged_ns`, version, payload, time.Now().UnixNano())
		return err
	})
	if err != nil {
		return fmt.Errorf("store: stage gallery v%d manifest: %w", version, err)
	}
	return nil
}

// StageGalleryChunk keeps a chunk of a gallery, discarding what was staged
// of other versions. It reports false, and keeps the bytes it has, when
// that chunk was staged already: a retained chunk comes on every reconnect.
func (s *Store) StageGalleryChunk(ctx context.Context, version int64, index int, payload []byte) (bool, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := discardOtherStaging(ctx, tx, version); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO city_gallery_chunks(version, idx, payload, staged_ns) VALUES (?, ?, ?, ?)
			ON CONFLICT(version, idx) DO NOTHING`, version, index, s.seal.seal(payload, chunkAD(version, index)...), time.Now().UnixNano())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: stage gallery v%d chunk %d: %w", version, index, err)
	}
	return n > 0, nil
}

// DropGalleryChunk forgets a staged chunk, one its manifest refused.
func (s *Store) DropGalleryChunk(ctx context.Context, version int64, index int) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM city_gallery_chunks WHERE version = ? AND idx = ?`, version, index); err != nil {
		return fmt.Errorf("store: drop gallery v%d chunk %d: %w", version, index, err)
	}
	return nil
}

// GalleryStaging returns what is staged.
func (s *Store) GalleryStaging(ctx context.Context) (GalleryStaging, error) {
	var g GalleryStaging
	err := s.db.QueryRowContext(ctx, `SELECT version, payload FROM city_gallery_manifest`).Scan(&g.Version, &g.Manifest)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return g, fmt.Errorf("store: gallery staging: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT version, idx FROM city_gallery_chunks ORDER BY idx`)
	if err != nil {
		return g, fmt.Errorf("store: gallery staging: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int64
		var i int
		if err := rows.Scan(&v, &i); err != nil {
			return g, err
		}
		g.Version = v // staging holds one version
		g.Chunks = append(g.Chunks, i)
	}
	return g, rows.Err()
}

// EachGalleryChunk calls fn with the staged chunks of version in index
// order, stopping at its first error.
func (s *Store) EachGalleryChunk(ctx context.Context, version int64, fn func(index int, payload []byte) error) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.eachChunk(ctx, tx, version, fn) })
}

// eachChunk calls fn with each staged chunk of version, unsealed.
func (s *Store) eachChunk(ctx context.Context, tx *sql.Tx, version int64, fn func(int, []byte) error) error {
	rows, err := tx.QueryContext(ctx, `SELECT idx, payload FROM city_gallery_chunks WHERE version = ? ORDER BY idx`, version)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var i int
		var sealed []byte
		if err := rows.Scan(&i, &sealed); err != nil {
			return err
		}
		p, err := s.seal.open(nil, sealed, chunkAD(version, i)...)
		if err != nil {
			return fmt.Errorf("staged gallery v%d chunk %d: %w", version, i, err)
		}
		if err := fn(i, p); err != nil {
			return err
		}
	}
	return rows.Err()
}

// SwapCityGallery makes the staged gallery of version the city's people,
// in one transaction: everyone the city gave before and their templates
// go, the people people(chunk) reads from each staged chunk come with
// templates of model, and the staging is emptied. The city is the
// authority for the ids it names: a local person of the same id becomes
// the city's, with the city's templates only.
func (s *Store) SwapCityGallery(ctx context.Context, version int64, model string, people func(index int, payload []byte) ([]CityPerson, error)) error {
	now := time.Now().UnixNano()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM people WHERE source = 'city'`); err != nil {
			return err
		}
		// One chunk's people at a time, written while the chunks are read.
		if err := s.eachChunk(ctx, tx, version, func(i int, payload []byte) error {
			ps, err := people(i, payload)
			if err != nil {
				return err
			}
			for _, p := range ps {
				if err := s.insertCityPerson(ctx, tx, p, model, now); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM city_gallery_chunks`, `DELETE FROM city_gallery_manifest`} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
			settingCityGalleryVersion, strconv.FormatInt(version, 10)); err != nil {
			return err
		}
		return bumpTemplatesVersion(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("store: swap in city gallery v%d: %w", version, err)
	}
	return nil
}

// CityGalleryVersion is the version of the city gallery in force; 0: none.
func (s *Store) CityGalleryVersion(ctx context.Context) (int64, error) {
	v, err := s.Setting(ctx, settingCityGalleryVersion)
	if err != nil || v == "" {
		return 0, err
	}
	return strconv.ParseInt(v, 10, 64)
}

func (s *Store) insertCityPerson(ctx context.Context, tx *sql.Tx, p CityPerson, model string, now int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM people WHERE id = ?`, p.ID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO people(id, name, unit, source) VALUES (?, ?, ?, 'city')`, p.ID, p.Name, p.Unit); err != nil {
		return fmt.Errorf("person %s: %w", p.ID, err)
	}
	for _, vec := range p.Templates {
		if _, err := tx.ExecContext(ctx, `INSERT INTO templates(person_id, model, vec, enrolled_ns) VALUES (?, ?, ?, ?)`, p.ID, model, s.seal.seal(vec, templateAD(p.ID, model)...), now); err != nil {
			return fmt.Errorf("template of %s: %w", p.ID, err)
		}
	}
	return nil
}
