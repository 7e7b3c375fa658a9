package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Issuer is a pass issuer's public key as kept on the box.
type Issuer struct {
	Kid       string
	Iss       string
	PublicKey []byte
	Source    string // config or city
}

// ReplaceTrust makes issuers and revoked the whole trust that source gives,
// in one transaction: a scan sees the old trust or the new, never half.
func (s *Store) ReplaceTrust(ctx context.Context, source string, issuers []Issuer, revoked []string) error {
	now := time.Now().UnixNano()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM issuers WHERE source = ?`, `DELETE FROM revocations WHERE source = ?`} {
			if _, err := tx.ExecContext(ctx, q, source); err != nil {
				return err
			}
		}
		for _, is := range issuers {
			if _, err := tx.ExecContext(ctx, `INSERT INTO issuers(kid, iss, public_key, source, updated_ns) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT(kid) DO UPDATE SET iss = excluded.iss, public_key = excluded.public_key, source = excluded.source, updated_ns = excluded.updated_ns`,
				is.Kid, is.Iss, is.PublicKey, source, now); err != nil {
				return err
			}
		}
		for _, id := range revoked {
			if _, err := tx.ExecContext(ctx, `INSERT INTO revocations(pass_id, source, revoked_ns) VALUES (?, ?, ?) ON CONFLICT(pass_id) DO NOTHING`, id, source, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: replace trust from %s: %w", source, err)
	}
	return nil
}

// Issuers returns every known issuer.
func (s *Store) Issuers(ctx context.Context) ([]Issuer, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT kid, iss, public_key, source FROM issuers ORDER BY kid`)
	if err != nil {
		return nil, fmt.Errorf("store: issuers: %w", err)
	}
	defer rows.Close()
	var out []Issuer
	for rows.Next() {
		var is Issuer
		if err := rows.Scan(&is.Kid, &is.Iss, &is.PublicKey, &is.Source); err != nil {
			return nil, fmt.Errorf("store: issuers: %w", err)
		}
		out = append(out, is)
	}
	return out, rows.Err()
}

// Visit is a visit the city registered in advance for a chip ID card number,
// with the visitor's face template (Template, of Model) for the gate's
// second factor.
type Visit struct {
	ID        string
	IDNumber  string
	Name      string
	Host      string
	Gates     []string
	NotBefore time.Time
	NotAfter  time.Time
	Uses      int
	Model     string
	Template  []byte // vision/gallery.Encode; sealed at rest
}

// ReplaceVisits makes visits the whole list of registered visits, in one
// transaction: a scan sees the old list or the new, never half.
func (s *Store) ReplaceVisits(ctx context.Context, visits []Visit) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM visits`); err != nil {
			return err
		}
		for _, v := range visits {
			if err := s.addVisit(ctx, tx, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: replace visits: %w", err)
	}
	return nil
}

// AddVisit registers (or replaces) a visit.
func (s *Store) AddVisit(ctx context.Context, v Visit) error {
	if err := s.inTx(ctx, func(tx *sql.Tx) error { return s.addVisit(ctx, tx, v) }); err != nil {
		return fmt.Errorf("store: add visit: %w", err)
	}
	return nil
}

func (s *Store) addVisit(ctx context.Context, tx *sql.Tx, v Visit) error {
	var sealed []byte
	if len(v.Template) > 0 {
		sealed = s.seal.seal(v.Template, visitAD(v.ID, v.Model)...)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO visits(id, id_number, name, host, gates, not_before_ns, not_after_ns, uses, model, template) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET id_number = excluded.id_number, name = excluded.name, host = excluded.host, gates = excluded.gates,
		not_before_ns = excluded.not_before_ns, not_after_ns = excluded.not_after_ns, uses = excluded.uses, model = excluded.model, template = excluded.template`,
		v.ID, v.IDNumber, v.Name, v.Host, strings.Join(v.Gates, ","), v.NotBefore.UnixNano(), v.NotAfter.UnixNano(), v.Uses, v.Model, sealed)
	return err
}

// visitAD binds a visit's sealed template to its row.
func visitAD(id, model string) []string { return []string{"visits", id, model} }

// ErrNoVisit means no visit is registered for that ID number.
var ErrNoVisit = errors.New("store: no visit registered")

// VisitsFor returns the visits registered for an ID number, soonest first,
// with their templates unsealed.
func (s *Store) VisitsFor(ctx context.Context, idNumber string) ([]Visit, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, id_number, name, host, gates, not_before_ns, not_after_ns, uses, model, template FROM visits WHERE id_number = ? ORDER BY not_before_ns`, idNumber)
	if err != nil {
		return nil, fmt.Errorf("store: visits: %w", err)
	}
	defer rows.Close()
	var out []Visit
	for rows.Next() {
		var v Visit
		var gates string
		var nb, na int64
		var sealed []byte
		if err := rows.Scan(&v.ID, &v.IDNumber, &v.Name, &v.Host, &gates, &nb, &na, &v.Uses, &v.Model, &sealed); err != nil {
			return nil, fmt.Errorf("store: visits: %w", err)
		}
		if len(sealed) > 0 {
			if v.Template, err = s.seal.open(nil, sealed, visitAD(v.ID, v.Model)...); err != nil {
				return nil, fmt.Errorf("store: visit %s: template %w", v.ID, err)
			}
		}
		v.Gates = strings.Split(gates, ",")
		v.NotBefore, v.NotAfter = time.Unix(0, nb), time.Unix(0, na)
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, ErrNoVisit
	}
	return out, nil
}
