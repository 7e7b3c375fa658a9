package kiosk

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/roomgate/roomgate/provisioning/claim"
	"github.com/roomgate/roomgate/provisioning/provision"
)

// Provisioner provisions the box from a claim (package provision).
type Provisioner interface {
	// Provision runs the steps for a claim's text, telling emit of each as
	// it starts and ends; it fails with ErrProvisionBusy while one runs.
	Provision(ctx context.Context, claimText string, emit func(provision.Event)) error
}

// ErrProvisionBusy is what a Provisioner returns while provisioning runs.
var ErrProvisionBusy = errors.New("kiosk: provisioning is already running")

// ProvisionTokenHeader carries the local token of `roomgate provision`,
// which runs as a user who can read the agent's state directory.
const ProvisionTokenHeader = "X-Roomgate-Provision-Token"

// provisionWriteWindow is how long a provisioning's answer may stream:
// each call to the city has its own timeouts well inside it.
const provisionWriteWindow = 5 * time.Minute

// BoxInfo is what the first screen says of the box.
type BoxInfo struct {
	Version  string   `json:"version"`
	Hostname string   `json:"hostname"`
	Scanners []string `json:"scanners"` // the scanners a claim may be scanned with, by name
}

// firstScreen is the state of a box that is not provisioned: the steps of
// the provisioning under way or last run, for a page that opens late.
type firstScreen struct {
	info BoxInfo
	prov Provisioner

	mu    sync.Mutex
	steps []provision.Event
}

// setupState is GET /api/setup.
type setupState struct {
	BoxInfo
	Language string            `json:"language"`
	Steps    []provision.Event `json:"steps"`
}

// NewFirstScreen returns the kiosk of a box that is not provisioned yet:
// the technician's first screen at /, with the box's version and host
// name, what to do, and the provisioning steps live (event "provision").
// POST /api/provision with localToken (when not empty) in
// ProvisionTokenHeader runs one for `roomgate provision`.
func NewFirstScreen(info BoxInfo, prov Provisioner, localToken string, cfg Config) *Server {
	if cfg.Language != "en" {
		cfg.Language = "vi"
	}
	s := newServer(cfg)
	fs := &firstScreen{info: info, prov: prov}
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { serveAsset(w, r, "/setup.html") })
	s.mux.HandleFunc("GET /api/setup", func(w http.ResponseWriter, r *http.Request) {
		fs.mu.Lock()
		st := setupState{BoxInfo: fs.info, Language: s.cfg.Language, Steps: append([]provision.Event{}, fs.steps...)}
		fs.mu.Unlock()
		writeJSON(w, http.StatusOK, st)
	})
	s.mux.HandleFunc("POST /api/provision", func(w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get(ProvisionTokenHeader)
		if localToken == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(localToken)) != 1 {
			writeError(w, http.StatusForbidden, "token", "kiosk: wrong or missing provision token")
			return
		}
		s.provision(w, r, fs)
	})
	s.first = fs
	return s
}

// ShowProvision shows a provisioning step on the first screen's pages: the
// agent calls it for every event, whoever started the run. A run starts
// with its claim step, which clears the last run's steps.
func (s *Server) ShowProvision(ev provision.Event) {
	if s.first == nil {
		return
	}
	s.first.mu.Lock()
	if ev.Step == provision.StepClaim && ev.State == provision.Running {
		s.first.steps = nil
	}
	s.first.steps = append(s.first.steps, ev)
	s.first.mu.Unlock()
	s.Push("provision", ev)
}

// provisionRequest is the body of POST /api/provision.
type provisionRequest struct {
	Claim string `json:"claim"`
}

// provision streams a provisioning as it goes, one JSON provision.Event per
// line (application/x-ndjson); the last is the done step or a failure.
func (s *Server) provision(w http.ResponseWriter, r *http.Request, fs *firstScreen) {
	var req provisionRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, claim.MaxSize+256))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "kiosk: provision: the body must be {\"claim\": \"RGCLAIM1:…\"} of at most a claim's size")
		return
	}
	started, err := streamNDJSON(w, provisionWriteWindow, func(emit func(provision.Event)) error {
		return fs.prov.Provision(r.Context(), req.Claim, emit)
	})
	if err != nil && !started {
		code := http.StatusInternalServerError
		if errors.Is(err, ErrProvisionBusy) {
			code = http.StatusConflict
		}
		writeError(w, code, "provision", "kiosk: provision: "+err.Error())
	}
}
