package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/roomgate/roomgate/agent/citysign"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/internal/syncfile"
)

var visitCommands = []command{
	{"add", "register a chip ID card visit with the visitor's face and send each box its visits (signed, retained)", (*app).visitAdd},
	{"remove", "cancel a registered visit and send its boxes their visits again", (*app).visitRemove},
}

const visitAddHelp = `
Registers a visit for a chip ID card (CCCD): the card's 12-digit number may
enter at the gates named, within the window, as often as -uses says, and
only once the face at the gate's camera matches the visitor's face. The
face template is computed here from -photo with the boxes' face engine and
quality gate (the vision build of roomgate-city); the photo itself never
leaves the city. Boxes of another recognizer refuse the visits with a
message: use -config with their vision section.

The visits are kept in the register (-visits, a JSON file only its owner
may read: it holds personal data and templates). Each box of -device gets
every current visit that names it, signed with -sign-key for that box
alone, retained on roomgate/v1/dev/D/visits; each message replaces the
box's visits whole. Visits that have ended are dropped from the register.
A box takes ID cards only where its config says policy.allow_cccd: true.

-gate names a site (hq) or one gate as site/gate (hq/main-gate), as a
pass's aud does. Times are RFC 3339, e.g. 2026-03-02T08:00:00+07:00.

Example:
  roomgate-city visit add -cert city-ops.pem -key city-ops.key -sign-key keys/city-sign.key \
    -device hq-gate-1 -id-number 001099012345 -name "Nguyễn Văn An" -host "Sở Nội vụ" \
    -gate hq/main-gate -from 2026-03-02T08:00:00+07:00 -until 2026-03-02T17:00:00+07:00 -photo an.jpg
`

const visitRemoveHelp = `
Cancels a registered visit and sends each of its boxes their remaining
visits (signed, retained), which replace the old ones whole.

Example:
  roomgate-city visit remove -cert city-ops.pem -key city-ops.key -sign-key keys/city-sign.key -id V-1
`

// visitRegister is the city's list of visits, as kept in the -visits file.
type visitRegister struct {
	Version int64             `json:"version"` // of the last visits message sent
	Visits  []registeredVisit `json:"visits"`
}

// registeredVisit is a visit and the boxes it was sent to.
type registeredVisit struct {
	Devices []string `json:"devices"`
	wire.Visit
}

func (a *app) visitAdd(path string, args []string) error {
	f := newFlags(path, "-device D[,D] -id-number N -name NAME -host HOST -gate SITE[/GATE][,...] -from TIME -until TIME -photo FILE [flags]", visitAddHelp)
	broker := addBrokerFlags(f, "city-ops")
	signKey := addSignFlag(f)
	register := f.String("visits", "visits.json", "`FILE`: the register of visits")
	devices := f.String("device", "", "`D[,D...]`: the boxes at the visit's gates, required")
	id := f.String("id", "", "visit `ID`; default a new UUIDv7")
	idNumber := f.String("id-number", "", "the chip ID card's 12-digit `NUMBER`, required")
	name := f.String("name", "", "the visitor's full `NAME`, required")
	host := f.String("host", "", "whom they visit: `NAME` of a person or unit")
	gates := f.String("gate", "", "`SITE[/GATE][,...]`: sites and gates the visit opens, required")
	from := f.String("from", "", "the visit starts at `TIME` (RFC 3339), required")
	until := f.String("until", "", "the visit ends at `TIME` (RFC 3339), required")
	uses := f.Int("uses", 1, "entries allowed, `N`")
	photo := f.String("photo", "", "`FILE`: a photo of the visitor's face, required")
	configPath := f.String("config", "", "`FILE`: a box config whose vision section to compute the template with")
	largest := f.Bool("largest", false, "take the largest face of a photo that shows several")
	timeout := f.Duration("timeout", 10*time.Second, "give up publishing after `DURATION`")
	pos, err := a.parse(f, args)
	switch {
	case err != nil:
		return err
	case len(pos) > 0:
		return usageError(f, "unexpected argument %q", pos[0])
	case len(list(*devices)) == 0:
		return usageError(f, "-device is required")
	case *photo == "":
		return usageError(f, "-photo is required: the gate checks the card holder's face")
	}
	for _, d := range list(*devices) {
		if !wire.ValidName(d) {
			return usageError(f, "-device %q is not a device id", d)
		}
	}
	v := wire.Visit{ID: *id, IDNumber: *idNumber, Name: *name, Host: *host, Gates: list(*gates), Uses: *uses}
	if v.ID == "" {
		v.ID = uuid.Must(uuid.NewV7()).String()
	}
	for _, t := range []struct {
		flag, val string
		to        *time.Time
	}{{"from", *from, &v.NotBefore}, {"until", *until, &v.NotAfter}} {
		if *t.to, err = time.Parse(time.RFC3339, t.val); err != nil {
			return usageError(f, "-%s %q: want an RFC 3339 time like 2026-03-02T08:00:00+07:00", t.flag, t.val)
		}
	}
	if !wire.ValidIDNumber(v.IDNumber) {
		return usageError(f, "-id-number %q: want the card's 12 digits", v.IDNumber)
	}
	if !v.NotAfter.After(a.now()) {
		return usageError(f, "-until %s has passed", *until)
	}
	signer, err := loadSigner(f, *signKey)
	if err != nil {
		return err
	}
	reg, err := readRegister(*register)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if slices.ContainsFunc(reg.Visits, func(r registeredVisit) bool { return r.ID == v.ID }) {
		return usageError(f, "-id %s is registered already; remove it first", v.ID)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(a.stderr, "computing the face template from %s…\n", *photo)
	if v.Model, v.Template, err = visitTemplate(ctx, *photo, *configPath, *largest); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := wire.CheckVisit(v); err != nil {
		return usageError(f, "%v", err)
	}
	reg.Visits = append(reg.Visits, registeredVisit{Devices: list(*devices), Visit: v})
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := a.sendVisits(ctx, broker, signer, *register, &reg, list(*devices)); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(a.stdout, "visit %s registered: %d gates, %s to %s, %d uses, face template of %s\n",
		v.ID, len(v.Gates), v.NotBefore.Format(time.RFC3339), v.NotAfter.Format(time.RFC3339), v.Uses, v.Model)
	return nil
}

func (a *app) visitRemove(path string, args []string) error {
	f := newFlags(path, "-id ID [flags]", visitRemoveHelp)
	broker := addBrokerFlags(f, "city-ops")
	signKey := addSignFlag(f)
	register := f.String("visits", "visits.json", "`FILE`: the register of visits")
	id := f.String("id", "", "the visit's `ID`, required")
	timeout := f.Duration("timeout", 10*time.Second, "give up publishing after `DURATION`")
	pos, err := a.parse(f, args)
	switch {
	case err != nil:
		return err
	case len(pos) > 0:
		return usageError(f, "unexpected argument %q", pos[0])
	case *id == "":
		return usageError(f, "-id is required")
	}
	signer, err := loadSigner(f, *signKey)
	if err != nil {
		return err
	}
	reg, err := readRegister(*register)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	i := slices.IndexFunc(reg.Visits, func(r registeredVisit) bool { return r.ID == *id })
	if i < 0 {
		return fmt.Errorf("%s: no visit %s in %s", path, *id, *register)
	}
	devices := reg.Visits[i].Devices
	reg.Visits = slices.Delete(reg.Visits, i, i+1)
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := a.sendVisits(ctx, broker, signer, *register, &reg, devices); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(a.stdout, "visit %s removed\n", *id)
	return nil
}

// sendVisits drops the visits that have ended, sends each device every
// visit that names it under a new version, and then keeps the register.
func (a *app) sendVisits(ctx context.Context, broker brokerFlags, signer citysign.Signer, register string, reg *visitRegister, devices []string) error {
	now := a.now()
	reg.Visits = slices.DeleteFunc(reg.Visits, func(r registeredVisit) bool { return !r.NotAfter.After(now) })
	reg.Version = max(reg.Version+1, now.Unix())
	c, err := broker.connect(ctx, nil, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	for _, d := range devices {
		vs := wire.Visits{Version: reg.Version, Visits: []wire.Visit{}}
		for _, r := range reg.Visits {
			if slices.Contains(r.Devices, d) {
				vs.Visits = append(vs.Visits, r.Visit)
			}
		}
		// What the box will refuse is refused here, before anything is sent.
		payload, err := json.Marshal(vs)
		if err == nil {
			_, err = wire.DecodeVisits(payload)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", d, err)
		}
		signed, err := signer.Visits(d, vs, now)
		if err != nil {
			return err
		}
		if err := c.Publish(ctx, wire.Topic(d, wire.LeafVisits), signed, true); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "%s: visits version %d, %d visits\n", d, vs.Version, len(vs.Visits))
	}
	if err := writeRegister(register, *reg); err != nil {
		return fmt.Errorf("sent, but the register was not written: %w", err)
	}
	return nil
}

// visitTemplate computes the face template of the one person in photo,
// exactly as publish gallery does for a gallery of one.
func visitTemplate(ctx context.Context, photo, configPath string, largest bool) (model string, template []byte, err error) {
	abs, err := filepath.Abs(photo)
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "roomgate-visit-")
	if err != nil {
		return "", nil, err
	}
	defer os.RemoveAll(dir)
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.WriteAll([][]string{{"id", "name", "unit", "photo"}, {"visitor", "visitor", "", abs}})
	csvPath := filepath.Join(dir, "visitor.csv")
	if err := os.WriteFile(csvPath, []byte(b.String()), 0o600); err != nil {
		return "", nil, err
	}
	e, err := enrolGallery(ctx, csvPath, configPath, largest, nil)
	switch {
	case err != nil:
		return "", nil, err
	case len(e.people) == 0 && len(e.photos) == 1:
		return "", nil, fmt.Errorf("photo %s refused: %s (%s)", photo, e.photos[0].Reason, e.photos[0].Detail)
	case len(e.people) != 1 || len(e.people[0].Templates) != 1:
		return "", nil, fmt.Errorf("photo %s gave no single face template", photo)
	}
	return e.model, e.people[0].Templates[0], nil
}

// readRegister reads the register; a missing file is an empty one.
func readRegister(path string) (visitRegister, error) {
	var reg visitRegister
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return reg, nil
	}
	if err != nil {
		return reg, err
	}
	if err := json.Unmarshal(b, &reg); err != nil {
		return reg, fmt.Errorf("%s: %w", path, err)
	}
	return reg, nil
}

// writeRegister replaces the register, readable by its owner only.
func writeRegister(path string, reg visitRegister) error {
	b, err := json.MarshalIndent(reg, "", "  ")
	if err != nil {
		return err
	}
	return syncfile.Replace(path, append(b, '\n'), 0o600)
}
