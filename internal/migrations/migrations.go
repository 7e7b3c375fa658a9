// Package migrations reads numbered SQL migrations (migrations/NNNN_name.sql
// in an embedded file system) for the box's store and the city's stores,
// which apply them each in their own database's way.
package migrations

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// ErrNewer means the database was migrated by a newer build than this one.
var ErrNewer = errors.New("database schema is newer than this build")

// Migration is one numbered SQL file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// After returns the migrations of fsys numbered above current, in order.
// It fails on a badly named file, and with ErrNewer when current is above
// every migration this build knows.
func After(fsys fs.FS, current int) ([]Migration, error) {
	files, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []Migration
	known := 0
	for _, f := range files {
		v, err := version(f)
		if err != nil {
			return nil, err
		}
		known = max(known, v)
		if v <= current {
			continue
		}
		body, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: f, SQL: string(body)})
	}
	if current > known {
		return nil, fmt.Errorf("%w: database at version %d, this build knows %d", ErrNewer, current, known)
	}
	return out, nil
}

// version reads N from "migrations/NNNN_name.sql".
func version(name string) (int, error) {
	base := strings.TrimPrefix(name, "migrations/")
	num, _, ok := strings.Cut(base, "_")
	v, err := strconv.Atoi(num)
	if !ok || err != nil || v <= 0 {
		return 0, fmt.Errorf("migration %q: name must start with a positive number and '_'", name)
	}
	return v, nil
}
