package kiosk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

func (s *Server) candidates(w http.ResponseWriter, r *http.Request, _ string) {
	meeting := r.URL.Query().Get("meeting")
	if meeting == "" {
		http.Error(w, "kiosk: candidates: which meeting?", http.StatusBadRequest)
		return
	}
	list, err := s.act.Candidates(r.Context(), meeting, r.URL.Query().Get("q"))
	if err != nil {
		http.Error(w, "kiosk: candidates: "+err.Error(), http.StatusUnprocessableEntity)
		return
	}
	if list == nil {
		list = []Candidate{}
	}
	writeJSON(w, http.StatusOK, list)
}

type checkInRequest struct {
	Meeting string `json:"meeting"`
	Person  string `json:"person"`
	Reason  string `json:"reason"`
}

func (s *Server) checkIn(w http.ResponseWriter, r *http.Request, _ string) {
	var req checkInRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "kiosk: check-in: "+err.Error())
		return
	}
	req.Reason = strings.TrimSpace(req.Reason)
	switch {
	case req.Meeting == "" || req.Person == "":
		writeError(w, http.StatusBadRequest, "bad_request", "kiosk: check-in: meeting and person are required")
		return
	case req.Reason == "":
		writeError(w, http.StatusBadRequest, "reason_required", "kiosk: check-in: a reason is required")
		return
	}
	res, err := s.act.CheckIn(r.Context(), ManualCheckIn{Meeting: req.Meeting, Person: req.Person, Reason: req.Reason, Operator: RoleSecretary})
	detail := fmt.Sprintf("meeting %s, person %s, reason %q", req.Meeting, req.Person, req.Reason)
	if err != nil {
		s.record(r, RoleSecretary, "checkin_failed", detail+": "+err.Error())
		writeError(w, http.StatusUnprocessableEntity, "refused", err.Error())
		return
	}
	if !res.Recorded {
		detail += ": " + res.Notice
	}
	// The attendance record itself names the operator and the reason; this
	// is the kiosk's log of what was done, best kept but not a condition.
	s.record(r, RoleSecretary, "checkin", detail)
	writeJSON(w, http.StatusOK, res)
}

// attendanceCSV hands the secretary the meeting's list as a download. It
// is put on record first, and written whole or not at all.
func (s *Server) attendanceCSV(w http.ResponseWriter, r *http.Request, _ string) {
	meeting := r.URL.Query().Get("meeting")
	if meeting == "" {
		http.Error(w, "kiosk: export: which meeting?", http.StatusBadRequest)
		return
	}
	if err := s.record(r, RoleSecretary, "export", "attendance of meeting "+meeting); err != nil {
		http.Error(w, "kiosk: export: "+err.Error(), http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := s.act.AttendanceCSV(r.Context(), meeting, &buf); err != nil {
		http.Error(w, "kiosk: export: "+err.Error(), http.StatusUnprocessableEntity)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="attendance-%s.csv"`, fileSafe(meeting)))
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// fileSafe keeps letters, digits, '-' and '_' of a meeting id for a file name.
func fileSafe(id string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 && (r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return r
		}
		return '_'
	}, id)
}

type callRequest struct {
	Action CallAction `json:"action"`
}

// controlCall is the secretary's Call now / Hang up / Redial.
func (s *Server) controlCall(w http.ResponseWriter, r *http.Request, _ string) {
	var req callRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1024)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "kiosk: call: "+err.Error())
		return
	}
	switch req.Action {
	case CallNow, CallHangUp, CallRedial:
	default:
		writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("kiosk: call: action %.20q, want dial, hang_up or redial", req.Action))
		return
	}
	if err := s.act.ControlCall(r.Context(), req.Action); err != nil {
		s.record(r, RoleSecretary, "call_failed", string(req.Action)+": "+err.Error())
		kind := "refused"
		if refused, ok := errors.AsType[*CallRefusedError](err); ok {
			kind = "call_" + refused.Reason
		}
		writeError(w, http.StatusUnprocessableEntity, kind, err.Error())
		return
	}
	s.record(r, RoleSecretary, "call", string(req.Action))
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}
