package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
)

// Forgotten is what ForgetPerson removed.
type Forgotten struct {
	Person    bool   // their row: name and unit
	Source    string // "local" or "city", when Person
	Templates int
	// Withdrawn is the version of a gallery being received that named
	// them; its staging was dropped, and that version is refused from now
	// on (see WithdrawnGallery). 0: none.
	Withdrawn    int64
	StagedChunks int
}

const settingGalleryWithdrawn = "city_gallery.withdrawn"

// ForgetPerson removes a person and their templates, whoever enrolled
// them, and the staged gallery if holds reports that one of its chunks
// names them, in one transaction. Forgetting someone unknown removes
// nothing and is no error.
func (s *Store) ForgetPerson(ctx context.Context, id string, holds func(chunk []byte) (bool, error)) (Forgotten, error) {
	var f Forgotten
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT source, (SELECT count(*) FROM templates WHERE person_id = ?1) FROM people WHERE id = ?1`, id).Scan(&f.Source, &f.Templates)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		f.Person = err == nil
		// Templates go with the person (ON DELETE CASCADE).
		if _, err := tx.ExecContext(ctx, `DELETE FROM people WHERE id = ?`, id); err != nil {
			return err
		}
		var version int64
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM city_gallery_chunks`).Scan(&version); err != nil {
			return err
		}
		named := false
		if version > 0 {
			err := s.eachChunk(ctx, tx, version, func(_ int, p []byte) error {
				if !named {
					var err error
					named, err = holds(p)
					return err
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		if named {
			res, err := tx.ExecContext(ctx, `DELETE FROM city_gallery_chunks`)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			f.StagedChunks, f.Withdrawn = int(n), version
			if _, err := tx.ExecContext(ctx, `DELETE FROM city_gallery_manifest`); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
				settingGalleryWithdrawn, strconv.FormatInt(version, 10)); err != nil {
				return err
			}
		}
		if f.Person {
			return bumpTemplatesVersion(ctx, tx)
		}
		return nil
	})
	if err != nil {
		return Forgotten{}, fmt.Errorf("store: forget person %.40q: %w", id, err)
	}
	return f, nil
}

// WithdrawnGallery is the last gallery version dropped while it was being
// received because it named a person the city deleted since: that version
// and older ones are not to be staged again. 0: none.
func (s *Store) WithdrawnGallery(ctx context.Context) (int64, error) {
	v, err := s.Setting(ctx, settingGalleryWithdrawn)
	if err != nil || v == "" {
		return 0, err
	}
	return strconv.ParseInt(v, 10, 64)
}
