package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/devices/door"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/internal/syncfile"
)

// Settings keys for what the city sent last.
const (
	settingConfigVersion = "config.version"
	settingTrustVersion  = "trust.version"
	settingVisitsVersion = "visits.version"
)

// KindRemoteOpen is the door event kept when the city opens the door by command.
const KindRemoteOpen = "remote_open"

// downlink applies what the city sends; citylink calls it.
type downlink struct{ s *System }

func (d downlink) version(ctx context.Context, key string) (int64, error) {
	v, err := d.s.store.Setting(ctx, key)
	if err != nil || v == "" {
		return 0, err
	}
	return strconv.ParseInt(v, 10, 64)
}

// Meetings makes the city's schedule the room's.
func (d downlink) Meetings(ctx context.Context, m wire.Schedule) error {
	return d.s.sched.Apply(ctx, m)
}

// GalleryManifest stages the city's gallery manifest (package gallerysync).
func (d downlink) GalleryManifest(ctx context.Context, m wire.GalleryManifest) error {
	return d.s.gallery.Manifest(ctx, m)
}

// GalleryChunk stages a chunk of the city's gallery (package gallerysync).
func (d downlink) GalleryChunk(ctx context.Context, c wire.GalleryChunk, payload []byte) error {
	return d.s.gallery.Chunk(ctx, c, payload)
}

// Trust makes the city's issuers and revocations the box's, at once; the
// next scan uses them.
func (d downlink) Trust(ctx context.Context, t wire.Trust) error {
	applied, err := d.version(ctx, settingTrustVersion)
	if err != nil {
		return err
	}
	if t.Version < applied {
		return fmt.Errorf("trust v%d is older than v%d in force", t.Version, applied)
	}
	issuers := make([]store.Issuer, 0, len(t.Issuers))
	for _, is := range t.Issuers {
		key, err := is.Key()
		if err != nil {
			return err
		}
		issuers = append(issuers, store.Issuer{Kid: is.Kid, Iss: is.Iss, PublicKey: key})
	}
	if err := d.s.store.ReplaceTrust(ctx, "city", issuers, t.Revoked); err != nil {
		return err
	}
	if err := d.s.store.SetSetting(ctx, settingTrustVersion, strconv.FormatInt(t.Version, 10)); err != nil {
		return err
	}
	d.s.log.Info("trust applied", "component", "agent", "version", t.Version, "issuers", len(issuers), "revoked", len(t.Revoked))
	return d.s.gate.ReloadTrust(ctx)
}

// Visits makes the city's chip ID card visits the box's, whole and at
// once. A template of another recognizer than this box's would never
// match, so such a list is refused whole, as a gallery of another model is.
func (d downlink) Visits(ctx context.Context, v wire.Visits) error {
	applied, err := d.version(ctx, settingVisitsVersion)
	if err != nil {
		return err
	}
	if v.Version < applied {
		return fmt.Errorf("visits v%d is older than v%d in force", v.Version, applied)
	}
	model := d.s.cfg.Vision.RecognizerName
	visits := make([]store.Visit, 0, len(v.Visits))
	for _, vi := range v.Visits {
		if vi.Model != model {
			return fmt.Errorf("visits v%d refused: visit %s has a face template of model %s; this box runs %s (make it with the boxes' vision config)", v.Version, vi.ID, vi.Model, model)
		}
		visits = append(visits, store.Visit{ID: vi.ID, IDNumber: vi.IDNumber, Name: vi.Name, Host: vi.Host, Gates: vi.Gates,
			NotBefore: vi.NotBefore, NotAfter: vi.NotAfter, Uses: vi.Uses, Model: vi.Model, Template: vi.Template})
	}
	if err := d.s.store.ReplaceVisits(ctx, visits); err != nil {
		return err
	}
	if err := d.s.store.SetSetting(ctx, settingVisitsVersion, strconv.FormatInt(v.Version, 10)); err != nil {
		return err
	}
	// Counts only: the visits are personal data.
	d.s.log.Info("visits applied", "component", "gate", "version", v.Version, "visits", len(visits))
	return nil
}

// Uses raises passes' use counts to what the city counted at every box of
// the site, so a one-time pass used at another gate is used up here too.
func (d downlink) Uses(ctx context.Context, u wire.Uses) error {
	counts := make(map[string]int, len(u.Passes))
	for _, p := range u.Passes {
		counts[p.ID] = p.Count
	}
	raised, err := d.s.store.MergePassUses(ctx, counts)
	if err != nil {
		return err
	}
	d.s.log.Info("use counts from the city", "component", "gate", "passes", len(counts), "raised", raised)
	return nil
}

// Config checks the city's config like `roomgate config validate` would,
// refuses one that would change the box's identity (its certificate names
// it), writes it atomically to the state directory (the local config file
// stays as the technician left it) and reloads.
func (d downlink) Config(ctx context.Context, c wire.Config) error {
	applied, err := d.version(ctx, settingConfigVersion)
	if err != nil {
		return err
	}
	if c.Version <= applied {
		return nil // the retained config, already in force
	}
	path := d.s.opts.ConfigPath
	if path == "" || d.s.opts.CityConfigPath == "" {
		return errors.New("this box was started without a config file and takes no config from the city")
	}
	next, err := config.Parse(path, []byte(c.YAML))
	if err != nil {
		return fmt.Errorf("config v%d refused: %w", c.Version, err)
	}
	if next.Identity != d.s.cfg.Identity {
		return fmt.Errorf("config v%d refused: identity %+v differs from this box's %+v, which its certificate names", c.Version, next.Identity, d.s.cfg.Identity)
	}
	if err := syncfile.Replace(d.s.opts.CityConfigPath, []byte(c.YAML), 0o600); err != nil {
		return fmt.Errorf("config v%d not written: %w", c.Version, err)
	}
	if err := d.s.store.SetSetting(ctx, settingConfigVersion, strconv.FormatInt(c.Version, 10)); err != nil {
		return err
	}
	d.s.log.Info("config applied; reloading", "component", "agent", "version", c.Version)
	d.s.stop(ErrReload)
	return nil
}

// Command runs a city command; the door opening is kept as a door event.
func (d downlink) Command(ctx context.Context, c wire.Command) wire.CommandResult {
	res := wire.CommandResult{ID: c.ID}
	var err error
	switch c.Name {
	case wire.CmdPing:
		res.Result = map[string]any{"time": time.Now().UTC(), "version": d.s.opts.Version}
	case wire.CmdOpenDoor:
		// The command's time window means nothing on a clock that has not
		// synced since boot: it could be one delivered days late.
		if !d.s.clk.Synced() && d.s.cfg.Policy.UnsyncedClock != "allow" {
			err = fmt.Errorf("door: clock not synchronised since boot (%s); open_door refused (policy.unsynced_clock: deny)", d.s.clk)
		} else if err = d.s.door.Grant(); err == nil {
			d.s.recordDoorEvent(door.Event{Kind: KindRemoteOpen, At: time.Now(), Detail: "city command " + c.ID})
		}
	case wire.CmdResync:
		d.s.link.Resync()
	case wire.CmdDeletePerson:
		var removed map[string]any
		if removed, err = d.s.forgetPerson(ctx, c.Args); err == nil {
			res.Result = removed
		}
	case wire.CmdSelfTest:
		if _, err = d.s.RunDoctor(ctx, nil, nil); err == nil {
			res.Result = d.s.doctorState()
		}
	case wire.CmdDial, wire.CmdHangUp, wire.CmdCallStatus:
		res.Result, err = d.s.callCommand(ctx, c)
	default:
		err = fmt.Errorf("unknown command %q", c.Name)
	}
	res.OK = err == nil
	if err != nil {
		res.Error = err.Error()
	}
	return res
}

// forgetPerson removes a person from everywhere on the box, as the city's
// delete_person asks: the store and the gallery being received
// (gallerysync), the recent recognitions, and the face engine's gallery,
// which is reloaded at once.
func (s *System) forgetPerson(ctx context.Context, args json.RawMessage) (map[string]any, error) {
	a, err := wire.DecodeDeletePersonArgs(args)
	if err != nil {
		return nil, err
	}
	f, err := s.gallery.ForgetPerson(ctx, a.PersonID)
	if err != nil {
		return nil, err
	}
	recognitions := s.recent.Forget(a.PersonID)
	reloaded := false
	if s.faces != nil && f.Person {
		if err := s.faces.reloadGallery(ctx); err != nil {
			return nil, fmt.Errorf("person removed from the store, but the face engine's gallery was not reloaded: %w", err)
		}
		reloaded = true
	}
	s.log.Info("person deleted by the city", "component", "gallery", "person", a.PersonID, "found", f.Person, "source", f.Source,
		"templates", f.Templates, "withdrawn_gallery", f.Withdrawn, "staged_chunks", f.StagedChunks)
	s.kioskChanged()
	return map[string]any{"person_id": a.PersonID, "found": f.Person, "source": f.Source, "templates": f.Templates,
		"withdrawn_gallery": f.Withdrawn, "staged_chunks": f.StagedChunks, "recognitions": recognitions, "gallery_reloaded": reloaded}, nil
}
