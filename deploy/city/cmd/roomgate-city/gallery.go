package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/deploy/city/mqttclient"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/internal/progressbar"
)

const publishGalleryHelp = `
Computes face templates from photos, with the boxes' own face engine and
quality gate, and publishes them to each box as a gallery: chunks of
-chunk-people people, retained on roomgate/v1/dev/D/gallery/chunk/I, then
the manifest (version, model, counts, sha256 of every chunk and of all of
them) on roomgate/v1/dev/D/gallery/manifest. A box swaps its city gallery
for the new one once it has every chunk and they check out; the photos
themselves are never sent. A box ignores a version older than the one it
has; the version is the current Unix time unless -version says otherwise.

-csv has the columns id,name,unit,photo (a header row names them); photo
paths are relative to the CSV, and a person may have several rows. A photo
must show one face (or use -largest) that passes the quality gate and looks
like nobody else's; the report lists those refused, with the reason, and
they are left out. The command fails only if no photo is accepted.

The templates are for the default recognizer (dlib_resnet_v1) unless
-config names a box config whose vision section (models, recognizer name,
quality gate) to use. Before any photo is enrolled, the boxes' states say
which recognizer each runs: if one online box runs another, nothing is
published (templates of two models never match); run again with a config
of those boxes. A box offline meanwhile refuses a gallery of another model
itself, and says so in its state.

Example:
  roomgate-city publish gallery -cert city-ops.pem -key city-ops.key \
    -device hq-room-1 -csv people.csv
`

// galleryPerson is a person of a gallery with their templates, each as the
// box's store keeps it (vision/gallery.Encode).
type galleryPerson struct {
	ID, Name, Unit string
	Templates      [][]byte
}

// photoResult is what became of one photo.
type photoResult struct {
	Path, Person   string
	Accepted       bool
	Reason, Detail string
}

// enrolment is the outcome of computing a gallery from photos.
type enrolment struct {
	model  string
	people []galleryPerson // by id
	photos []photoResult   // in the order of the CSV
}

// maxChunkPeople bounds -chunk-people: the boxes refuse large messages.
const maxChunkPeople = 10_000

func (a *app) publishGallery(path string, args []string) error {
	f := newFlags(path, "-device D[,D] -csv people.csv [-chunk-people N] [-version N] [flags]", publishGalleryHelp)
	broker := addBrokerFlags(f, "city-ops")
	var devices deviceList
	f.Var(&devices, "device", "`D[,D...]`: device ids to publish to, required; may be repeated")
	csvPath := f.String("csv", "", "`FILE`: the people and their photos, required")
	chunkPeople := f.Int("chunk-people", 200, fmt.Sprintf("at most `N` people per chunk, 1..%d", maxChunkPeople))
	version := f.Int64("version", 0, "gallery `N`, at least 1; default the current Unix time")
	configPath := f.String("config", "", "`FILE`: a box config whose vision section to compute templates with")
	largest := f.Bool("largest", false, "take the largest face of a photo that shows several")
	timeout := f.Duration("timeout", time.Minute, "give up publishing after `DURATION`")
	pos, err := a.parse(f, args)
	switch {
	case err != nil:
		return err
	case len(pos) > 0:
		return usageError(f, "unexpected argument %q", pos[0])
	case len(devices) == 0:
		return usageError(f, "-device is required")
	case *csvPath == "":
		return usageError(f, "-csv is required")
	case *chunkPeople < 1 || *chunkPeople > maxChunkPeople:
		return usageError(f, "-chunk-people %d: want 1..%d", *chunkPeople, maxChunkPeople)
	case *version < 0:
		return usageError(f, "-version must be at least 1")
	case *timeout <= 0:
		return usageError(f, "-timeout must be positive")
	}
	if *version == 0 {
		*version = a.now().Unix()
	}
	if errNoFaceEngine != nil {
		return fmt.Errorf("%s: %w", path, errNoFaceEngine)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := a.checkBoxModels(ctx, broker, devices, *configPath); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	bar := progressbar.New(a.stderr, "photos")
	e, err := enrolGallery(ctx, *csvPath, *configPath, *largest, bar.Update)
	bar.Done()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := printRefused(a.stdout, e); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(e.people) == 0 {
		return fmt.Errorf("%s: no photo of %s was accepted: nothing to publish", path, *csvPath)
	}
	g, err := buildGallery(e, *version, *chunkPeople)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := a.sendGallery(ctx, broker, devices, g); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// cityConfig is the box config enrolment runs with when -config names
// none: every vision default, so the shipped models and quality gate.
const cityConfig = "identity: {site: city, gate: city, device: city}\nboard: sim\n"

// galleryModel is the recognizer a gallery's templates are computed with:
// configPath's, else the default.
func galleryModel(configPath string) (string, error) {
	var cfg *config.Config
	var err error
	if configPath != "" {
		cfg, err = config.Load(configPath)
	} else {
		cfg, err = config.Parse("roomgate.yaml", []byte(cityConfig))
	}
	if err != nil {
		return "", err
	}
	return cfg.Vision.RecognizerName, nil
}

// stateWait bounds the wait for the boxes' retained states; a box that
// never connected has none.
const stateWait = 2 * time.Second

// checkBoxModels refuses a gallery whose templates would be of another
// model than an online box runs, before any photo is enrolled: the box
// would refuse it, and its people would not be recognised meanwhile.
func (a *app) checkBoxModels(ctx context.Context, broker brokerFlags, devices []string, configPath string) error {
	model, err := galleryModel(configPath)
	if err != nil {
		return err
	}
	boxes, err := boxModels(ctx, broker, devices)
	if err != nil {
		return err
	}
	var wrong, unknown []string
	for _, d := range devices {
		switch m, ok := boxes[d]; {
		case !ok || m == "":
			unknown = append(unknown, d)
		case m != model:
			wrong = append(wrong, d+" runs "+m)
		}
	}
	if len(wrong) > 0 {
		return fmt.Errorf("%s, and this gallery's templates would be of %s: templates of two models never match, so nothing is published. "+
			"Enrol the city's photos with the boxes' model: run again with -config naming those boxes' config (its vision section), "+
			"one model's boxes at a time", strings.Join(wrong, ", "), model)
	}
	if len(unknown) > 0 {
		fmt.Fprintf(a.stderr, "%s: offline, so its recognizer is not known; a box of another model than %s refuses the gallery and says so in its state\n",
			strings.Join(unknown, ", "), model)
	}
	return nil
}

// boxModels reads the devices' retained states: the recognizer each online
// box reports, "" for one offline or too old to say.
func boxModels(ctx context.Context, broker brokerFlags, devices []string) (map[string]string, error) {
	device := map[string]string{} // state topic → device
	var subs []string
	for _, d := range devices {
		t := wire.Topic(d, wire.LeafState)
		device[t] = d
		subs = append(subs, t)
	}
	var mu sync.Mutex
	got := map[string]string{}
	all := make(chan struct{})
	c, err := broker.connect(ctx, subs, func(m mqttclient.Message) {
		defer m.Ack()
		d, ok := device[m.Topic]
		mu.Lock()
		defer mu.Unlock()
		if _, seen := got[d]; !ok || seen {
			return
		}
		if st, err := wire.DecodeState(m.Payload); err == nil && st.Online {
			got[d] = st.Versions.Model
		} else {
			got[d] = ""
		}
		if len(got) == len(device) {
			close(all)
		}
	})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	select {
	case <-all:
	case <-time.After(stateWait):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	mu.Lock()
	defer mu.Unlock()
	return maps.Clone(got), nil
}

// printRefused reports the refused photos and what the gallery holds.
func printRefused(w io.Writer, e enrolment) error {
	refused := 0
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, p := range e.photos {
		if p.Accepted {
			continue
		}
		if refused == 0 {
			fmt.Fprintln(tw, "REFUSED PHOTO\tPERSON\tREASON\tDETAIL")
		}
		refused++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Path, p.Person, p.Reason, p.Detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	in := map[string]bool{}
	templates := 0
	for _, p := range e.people {
		in[p.ID] = true
		templates += len(p.Templates)
	}
	var missing []string
	for _, p := range e.photos {
		if !in[p.Person] && !slices.Contains(missing, p.Person) {
			missing = append(missing, p.Person)
		}
	}
	fmt.Fprintf(w, "%d photos: %d accepted, %d refused; gallery of %d people, %d templates (%s)\n",
		len(e.photos), len(e.photos)-refused, refused, len(e.people), templates, e.model)
	if len(missing) > 0 {
		fmt.Fprintf(w, "not in the gallery, no photo accepted: %s\n", strings.Join(missing, ", "))
	}
	return nil
}

// builtGallery is a gallery's messages, as the boxes will receive them.
type builtGallery struct {
	manifest wire.GalleryManifest
	payload  []byte   // the manifest's
	chunks   [][]byte // by index
}

// buildGallery cuts the people into chunks and writes the manifest over
// the chunks' exact bytes, checking each message as the boxes will.
func buildGallery(e enrolment, version int64, perChunk int) (builtGallery, error) {
	m := wire.GalleryManifest{Version: version, Model: e.model, Count: len(e.people), ChunkSHA256: []string{}}
	var g builtGallery
	whole := sha256.New()
	for i := 0; i < len(e.people); i += perChunk {
		c := wire.GalleryChunk{Version: version, Index: len(g.chunks)}
		for _, p := range e.people[i:min(i+perChunk, len(e.people))] {
			gp := wire.GalleryPerson{ID: p.ID, Name: p.Name, Unit: p.Unit}
			for _, t := range p.Templates {
				if m.Dim == 0 {
					m.Dim = len(t) / 4 // float32s: vision/gallery.Encode
				}
				gp.Templates = append(gp.Templates, t)
			}
			m.Templates += len(p.Templates)
			c.People = append(c.People, gp)
		}
		payload, err := json.Marshal(c)
		if err != nil {
			return g, err
		}
		if _, err := wire.DecodeGalleryChunk(payload); err != nil {
			return g, fmt.Errorf("chunk %d: %w (fewer -chunk-people makes smaller chunks)", c.Index, err)
		}
		sum := sha256.Sum256(payload)
		m.ChunkSHA256 = append(m.ChunkSHA256, hex.EncodeToString(sum[:]))
		whole.Write(payload)
		g.chunks = append(g.chunks, payload)
	}
	m.Chunks = len(g.chunks)
	m.SHA256 = hex.EncodeToString(whole.Sum(nil))
	var err error
	if g.payload, err = json.Marshal(m); err != nil {
		return g, err
	}
	if _, err := wire.DecodeGalleryManifest(g.payload); err != nil {
		return g, fmt.Errorf("manifest: %w", err)
	}
	g.manifest = m
	return g, nil
}

// retainedWait bounds the wait for the broker to replay what it retained
// of the boxes' galleries; only clearing an older gallery's extra chunks
// depends on it.
const retainedWait = 5 * time.Second

// sendGallery publishes g to each device: its chunks, then an empty
// retained message on each chunk topic an older, larger gallery left, then
// the manifest, so a box never sees a manifest whose chunks are not there.
func (a *app) sendGallery(ctx context.Context, broker brokerFlags, devices []string, g builtGallery) error {
	// Subscribing to the galleries replays their retained chunks. The
	// replay is over when the first chunk this run publishes comes back:
	// the broker sends what it retained at the subscription before
	// anything published after it, and ordered delivery keeps it so here.
	first := wire.GalleryChunkTopic(devices[0], 0)
	var mu sync.Mutex
	stale := map[string]map[int]bool{} // device → indices of retained chunks
	replayed := make(chan struct{})
	var once sync.Once
	onMessage := func(m mqttclient.Message) {
		defer m.Ack()
		if !m.Retained {
			if m.Topic == first {
				once.Do(func() { close(replayed) })
			}
			return
		}
		device, index, ok := chunkIndex(m.Topic)
		if !ok || len(m.Payload) == 0 {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if stale[device] == nil {
			stale[device] = map[int]bool{}
		}
		stale[device][index] = true
	}
	var subs []string
	for _, d := range devices {
		subs = append(subs, wire.Topic(d, wire.LeafGallery+"/#"))
	}
	c, err := broker.connectOrdered(ctx, subs, onMessage)
	if err != nil {
		return err
	}
	defer c.Close()

	bar := progressbar.New(a.stderr, "chunks")
	done, total := 0, len(devices)*len(g.chunks)
	for i, d := range devices {
		for j, chunk := range g.chunks {
			if err := c.Publish(ctx, wire.GalleryChunkTopic(d, j), chunk, true); err != nil {
				bar.Done()
				return err
			}
			done++
			bar.Update(done, total)
			if i == 0 && j == 0 {
				select {
				case <-replayed:
				case <-time.After(retainedWait):
					fmt.Fprintf(a.stderr, "warning: the broker did not show the galleries it keeps within %v (may city-ops read gallery/#?): chunks an older, larger gallery left are not cleared\n", retainedWait)
				case <-ctx.Done():
					bar.Done()
					return ctx.Err()
				}
			}
		}
	}
	bar.Done()
	mu.Lock()
	defer mu.Unlock()
	for _, d := range devices {
		var old []int
		for index := range stale[d] {
			if index >= len(g.chunks) {
				old = append(old, index)
			}
		}
		slices.Sort(old)
		for _, index := range old {
			if err := c.Publish(ctx, wire.GalleryChunkTopic(d, index), nil, true); err != nil {
				return err
			}
		}
		if err := c.Publish(ctx, wire.Topic(d, wire.LeafGalleryManifest), g.payload, true); err != nil {
			return err
		}
		m := g.manifest
		fmt.Fprintf(a.stdout, "%s: gallery version %d, %d people, %d templates, %d chunks, model %s, sha256 %.12s…", d, m.Version, m.Count, m.Templates, m.Chunks, m.Model, m.SHA256)
		if len(old) > 0 {
			fmt.Fprintf(a.stdout, "; cleared %d old chunks", len(old))
		}
		fmt.Fprintln(a.stdout)
	}
	return nil
}

// chunkIndex parses roomgate/v1/dev/D/gallery/chunk/I.
func chunkIndex(topic string) (device string, index int, ok bool) {
	rest, ok := strings.CutPrefix(topic, wire.Root)
	if !ok {
		return "", 0, false
	}
	device, leaf, _ := strings.Cut(rest, "/")
	n, ok := strings.CutPrefix(leaf, wire.LeafGallery+"/chunk/")
	if !ok {
		return "", 0, false
	}
	index, err := strconv.Atoi(n)
	if err != nil || index < 0 || wire.GalleryChunkTopic(device, index) != topic {
		return "", 0, false
	}
	return device, index, true
}
