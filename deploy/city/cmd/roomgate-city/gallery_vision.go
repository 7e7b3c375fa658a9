//go:build vision

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/roomgate/roomgate/agent"
	"github.com/roomgate/roomgate/agent/enrol"
	boxstore "github.com/roomgate/roomgate/agent/store" // store is the city database here
	config "github.com/roomgate/roomgate/firmware-config"
)

// errNoFaceEngine is nil: this build has the face engine.
var errNoFaceEngine error

// enrolGallery enrols the photos csvPath lists exactly as roomgate enroll
// does on a box, into a scratch store, and reads back what was accepted.
func enrolGallery(ctx context.Context, csvPath, configPath string, largest bool, progress func(done, total int)) (enrolment, error) {
	photos, err := enrol.ReadCSV(csvPath)
	if err != nil {
		return enrolment{}, err
	}
	dir, err := os.MkdirTemp("", "roomgate-gallery-")
	if err != nil {
		return enrolment{}, err
	}
	defer os.RemoveAll(dir)
	var cfg *config.Config
	cfgDir := dir
	if configPath != "" {
		cfg, err = config.Load(configPath)
		cfgDir = filepath.Dir(configPath)
	} else {
		cfg, err = config.Parse(filepath.Join(dir, "roomgate.yaml"), []byte(cityConfig))
	}
	if err != nil {
		return enrolment{}, err
	}
	cfg.Store.Path = filepath.Join(dir, "gallery.db") // never the box's own store
	cfg.Store.KeyFile = ""                            // nor its key: one beside gallery.db
	reports, err := agent.Enroll(ctx, cfg, cfgDir, photos, enrol.Options{Largest: largest, Progress: progress})
	if err != nil {
		return enrolment{}, err
	}
	e := enrolment{model: cfg.Vision.RecognizerName}
	for _, r := range reports {
		e.photos = append(e.photos, photoResult{Path: r.Path, Person: r.Person, Accepted: r.Accepted, Reason: r.Reason, Detail: r.Detail})
	}

	st, err := boxstore.Open(cfg.Store.Path)
	if err != nil {
		return enrolment{}, err
	}
	defer st.Close()
	people, err := st.People(ctx, e.model)
	if err != nil {
		return enrolment{}, err
	}
	index := map[string]int{}
	for _, p := range people {
		if p.Templates > 0 {
			index[p.ID] = len(e.people)
			e.people = append(e.people, galleryPerson{ID: p.ID, Name: p.Name, Unit: p.Unit})
		}
	}
	for t, err := range st.Templates(ctx, e.model) {
		if err != nil {
			return enrolment{}, err
		}
		i, ok := index[t.Person]
		if !ok {
			return enrolment{}, fmt.Errorf("template of %s, who is not among the people", t.Person)
		}
		e.people[i].Templates = append(e.people[i].Templates, slices.Clone(t.Vec)) // Vec is reused by the next row
	}
	return e, nil
}
