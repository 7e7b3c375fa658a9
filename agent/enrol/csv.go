//go:build vision

package enrol

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/roomgate/roomgate/agent/store"
)

// ReadCSV reads the photos a CSV of id,name,unit,photo rows lists
// (roomgate enroll --csv, roomgate-city publish gallery): a header row names
// the columns, unit may be left out, photo paths are relative to the CSV
// and a person may have several rows.
func ReadCSV(path string) ([]Photo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("enroll: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("enroll: %s: header: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range header {
		// A spreadsheet saving UTF-8 starts the file with a byte order mark.
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, c := range []string{"id", "name", "photo"} {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("enroll: %s: no %q column (the header must name id, name, unit and photo)", path, c)
		}
	}
	field := func(rec []string, c string) string {
		if i, ok := col[c]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	base := filepath.Dir(path)
	people := map[string]store.Person{}
	var out []Photo
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("enroll: %s: %w", path, err) // csv's errors give the line
		}
		line, _ := r.FieldPos(0)
		p := store.Person{ID: field(rec, "id"), Name: field(rec, "name"), Unit: field(rec, "unit")}
		photo := field(rec, "photo")
		if p.ID == "" || p.Name == "" || photo == "" {
			return nil, fmt.Errorf("enroll: %s:%d: id, name and photo must not be empty", path, line)
		}
		if prev, ok := people[p.ID]; ok && prev != p {
			return nil, fmt.Errorf("enroll: %s:%d: %s is %q (%s) on an earlier row, %q (%s) here", path, line, p.ID, prev.Name, prev.Unit, p.Name, p.Unit)
		}
		people[p.ID] = p
		if !filepath.IsAbs(photo) {
			photo = filepath.Join(base, photo)
		}
		out = append(out, Photo{Person: p, Path: photo})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("enroll: %s lists no photos", path)
	}
	return out, nil
}
