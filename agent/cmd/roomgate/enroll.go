//go:build vision

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/roomgate/roomgate/agent"
	"github.com/roomgate/roomgate/agent/enrol"
	"github.com/roomgate/roomgate/agent/store"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/internal/progressbar"
)

const enrollUsage = `usage:
  roomgate enroll [flags] --id ID --name NAME [--unit UNIT] PHOTO...
  roomgate enroll [flags] --csv FILE
  roomgate enroll [flags] --dir FOLDER

Enrols people's faces from photos into the box's store, as templates (the
photos are not kept). Each photo must show one face (or use --largest) that
passes the quality gate and matches nobody else already enrolled; a report
says what became of each photo. The exit status is 1 if any photo was
refused: the accepted ones are enrolled all the same.

  --csv FILE     columns id,name,unit,photo (a header row names them; unit may
                 be left out); photo paths are relative to the CSV; a person may
                 have several rows
  --dir FOLDER   one subfolder per person, named by their id, holding .jpg or
                 .png photos and optionally person.txt: the name on its first
                 line, the unit on its second (the name is the id without it);
                 subfolders whose name starts with _ or . are skipped

flags:
`

func runEnroll(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("roomgate enroll", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, enrollUsage)
		fs.PrintDefaults()
	}
	configPath := fs.String("config", "/etc/roomgate/roomgate.yaml", "config file")
	id := fs.String("id", "", "the person's id (with PHOTO...)")
	name := fs.String("name", "", "the person's name (with --id)")
	unit := fs.String("unit", "", "the person's unit or office (with --id)")
	csvPath := fs.String("csv", "", "enrol the people and photos listed in this CSV file")
	dir := fs.String("dir", "", "enrol one person per subfolder of this folder")
	largest := fs.Bool("largest", false, "enrol the largest face of a photo that shows several")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	photos, err := enrolPhotos(*id, *name, *unit, *csvPath, *dir, fs.Args())
	if errors.Is(err, errUsage) {
		fs.Usage()
		return errUsage
	}
	if err != nil {
		return err
	}
	cfg, err := config.Load(*configPath)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	bar := progressbar.New(stderr, "enrolling")
	reports, err := agent.Enroll(ctx, cfg, filepath.Dir(*configPath), photos, enrol.Options{Largest: *largest, Progress: bar.Update})
	bar.Done()
	if err != nil {
		return err
	}
	photoReports := reports[:len(photos)]
	otherModel := reports[len(photos):]
	refused := 0
	for _, r := range photoReports {
		if !r.Accepted {
			refused++
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(struct {
			Photos     []enrol.PhotoReport `json:"photos"`
			Accepted   int                 `json:"accepted"`
			Refused    int                 `json:"refused"`
			OtherModel []enrol.PhotoReport `json:"other_model,omitempty"` // people this box's recognizer cannot match
		}{photoReports, len(photos) - refused, refused, otherModel})
	} else {
		err = printReport(stdout, photoReports, refused, otherModel)
	}
	if err != nil {
		return err
	}
	switch {
	case refused > 0:
		return fmt.Errorf("enroll: %d of %d photos refused", refused, len(photos))
	case len(otherModel) > 0:
		return fmt.Errorf("enroll: templates of another model than this box's %s: enrol those people again from their photos", cfg.Vision.RecognizerName)
	}
	return nil
}

// enrolPhotos turns exactly one of the three ways of naming photos into
// the list to enrol.
func enrolPhotos(id, name, unit, csvPath, dir string, args []string) ([]enrol.Photo, error) {
	forms := 0
	for _, set := range []bool{id != "" || name != "" || unit != "" || len(args) > 0, csvPath != "", dir != ""} {
		if set {
			forms++
		}
	}
	if forms != 1 {
		return nil, errUsage
	}
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			return nil, fmt.Errorf("enroll: %q after the photos: flags go before them", a)
		}
	}
	switch {
	case csvPath != "":
		return enrol.ReadCSV(csvPath)
	case dir != "":
		return readEnrolDir(dir)
	}
	if id == "" || name == "" || len(args) == 0 {
		return nil, errors.New("enroll: --id, --name and at least one PHOTO are needed")
	}
	var out []enrol.Photo
	for _, p := range args {
		out = append(out, enrol.Photo{Person: store.Person{ID: id, Name: name, Unit: unit}, Path: p})
	}
	return out, nil
}

// readEnrolDir reads a folder of one subfolder per person.
func readEnrolDir(dir string) ([]enrol.Photo, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("enroll: %w", err)
	}
	var out []enrol.Photo
	for _, e := range entries {
		// "_unsorted" or ".git" are no one's id.
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || strings.HasPrefix(e.Name(), "_") {
			continue
		}
		sub := filepath.Join(dir, e.Name())
		p := store.Person{ID: e.Name(), Name: e.Name()}
		if b, err := os.ReadFile(filepath.Join(sub, "person.txt")); err == nil {
			lines := strings.Split(strings.TrimPrefix(string(b), "\ufeff"), "\n")
			if n := strings.TrimSpace(lines[0]); n != "" {
				p.Name = n
			}
			if len(lines) > 1 {
				p.Unit = strings.TrimSpace(lines[1])
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("enroll: %w", err)
		}
		files, err := os.ReadDir(sub)
		if err != nil {
			return nil, fmt.Errorf("enroll: %w", err)
		}
		n := 0
		for _, f := range files {
			ext := strings.ToLower(filepath.Ext(f.Name()))
			if f.Type().IsRegular() && slices.Contains([]string{".jpg", ".jpeg", ".png"}, ext) {
				out = append(out, enrol.Photo{Person: p, Path: filepath.Join(sub, f.Name())})
				n++
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("enroll: %s has no .jpg or .png photo", sub)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("enroll: %s has no subfolder of photos (one per person, named by their id)", dir)
	}
	return out, nil
}

// printReport writes one line per photo and a summary.
func printReport(w io.Writer, reports []enrol.PhotoReport, refused int, otherModel []enrol.PhotoReport) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PHOTO\tPERSON\tRESULT\tDETAIL")
	for _, r := range reports {
		result := "accepted"
		if !r.Accepted {
			result = r.Reason
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Path, r.Person, result, r.Detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "%d accepted, %d refused\n", len(reports)-refused, refused); err != nil {
		return err
	}
	if len(otherModel) == 0 {
		return nil
	}
	fmt.Fprintln(w, "not recognised by this box (templates of another model only):")
	for _, r := range otherModel {
		if _, err := fmt.Fprintf(w, "  %s\n", strings.TrimSpace(r.Person+" "+r.Detail)); err != nil {
			return err
		}
	}
	return nil
}
