package kiosk

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/roomgate/roomgate/provisioning/doctor"
)

// Doctor runs the box's self-test (package doctor) for a technician.
type Doctor interface {
	// RunDoctor runs every check and the interactive ones named in asked,
	// telling emit of each as it goes. It fails only when it cannot run
	// (one is already running: ErrDoctorBusy).
	RunDoctor(ctx context.Context, asked []string, emit func(doctor.Event)) (doctor.Report, error)
}

// ErrDoctorBusy is what a Doctor returns while a self-test runs.
var ErrDoctorBusy = errors.New("kiosk: a self-test is already running")

// Limits of a self-test request, and how long its answer may stream: the
// interactive checks each wait up to doctor.PersonWait.
const (
	maxDoctorAsked    = 16
	maxDoctorName     = 64
	doctorWriteWindow = 5 * time.Minute
)

// DoctorTokenHeader carries the local token of `roomgate doctor`: the
// command runs as a user who can read the agent's state directory, where
// the token is, and needs no technician's PIN.
const DoctorTokenHeader = "X-Roomgate-Doctor-Token"

// EnableDoctor serves POST /api/doctor to the technician's session and to
// requests carrying localToken (when not empty). Call it before serving.
func (s *Server) EnableDoctor(d Doctor, localToken string) {
	s.doctor = d
	tech := s.authorized(RoleTechnician, true, func(w http.ResponseWriter, r *http.Request, _ string) {
		s.runDoctor(w, r, "kiosk")
	})
	s.mux.HandleFunc("POST /api/doctor", func(w http.ResponseWriter, r *http.Request) {
		if tok := r.Header.Get(DoctorTokenHeader); tok != "" {
			if localToken == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(localToken)) != 1 {
				writeError(w, http.StatusForbidden, "token", "kiosk: wrong doctor token")
				return
			}
			s.runDoctor(w, r, "roomgate doctor")
			return
		}
		tech(w, r)
	})
}

// doctorRequest is the body of POST /api/doctor.
type doctorRequest struct {
	Interactive []string `json:"interactive"`
}

// runDoctor streams the self-test as it goes, one JSON doctor.Event per
// line (application/x-ndjson), the report last.
func (s *Server) runDoctor(w http.ResponseWriter, r *http.Request, from string) {
	var req doctorRequest
	if r.ContentLength != 0 {
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			writeError(w, http.StatusBadRequest, "bad_request", "kiosk: doctor: "+err.Error())
			return
		}
	}
	if len(req.Interactive) > maxDoctorAsked {
		writeError(w, http.StatusBadRequest, "bad_request", "kiosk: doctor: too many interactive checks")
		return
	}
	for _, n := range req.Interactive {
		if n == "" || len(n) > maxDoctorName {
			writeError(w, http.StatusBadRequest, "bad_request", "kiosk: doctor: bad check name")
			return
		}
	}
	if s.act != nil {
		if err := s.record(r, RoleTechnician, "self_test", from+" "+strings.Join(req.Interactive, ",")); err != nil {
			writeError(w, http.StatusInternalServerError, "not_recorded", "kiosk: doctor: "+err.Error())
			return
		}
	}
	started, err := streamNDJSON(w, doctorWriteWindow, func(emit func(doctor.Event)) error {
		_, err := s.doctor.RunDoctor(r.Context(), req.Interactive, emit)
		return err
	})
	if err != nil && !started {
		code := http.StatusInternalServerError
		if errors.Is(err, ErrDoctorBusy) {
			code = http.StatusConflict
		}
		writeError(w, code, "doctor", "kiosk: doctor: "+err.Error())
	}
}

// streamNDJSON answers with the events op emits, one JSON object a line,
// each sent as it comes; the 200 and the headers go with the first, so an
// op that fails before any event can still be answered with an error
// (started is false then). window bounds the whole answer.
func streamNDJSON[T any](w http.ResponseWriter, window time.Duration, op func(emit func(T)) error) (started bool, err error) {
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Now().Add(window))
	rc.SetReadDeadline(time.Now().Add(window))
	enc := json.NewEncoder(w)
	err = op(func(ev T) {
		if !started {
			w.Header().Set("Content-Type", "application/x-ndjson")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusOK)
			started = true
		}
		enc.Encode(ev)
		rc.Flush()
	})
	return started, err
}
