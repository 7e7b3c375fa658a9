package doctor

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Verdict is what a check found.
type Verdict string

// The verdicts, from best to worst.
const (
	OK      Verdict = "ok"
	Warning Verdict = "warning"
	Failure Verdict = "failure"
)

// Text is something said to a person, in both of the kiosk's languages.
type Text struct {
	EN string `json:"en"`
	VI string `json:"vi"`
}

// In returns the text in lang ("vi" or "en"; English otherwise).
func (t Text) In(lang string) string {
	if lang == "vi" && t.VI != "" {
		return t.VI
	}
	return t.EN
}

// Result is one check's outcome. Detail holds the measured facts and error
// texts for a technician or the city (numbers, paths, not people); Remedy
// says what to do, and is empty when nothing needs doing.
type Result struct {
	Check   string        `json:"check"`
	Verdict Verdict       `json:"verdict"`
	Summary Text          `json:"summary"`
	Detail  string        `json:"detail,omitempty"`
	Remedy  *Text         `json:"remedy,omitempty"`
	Took    time.Duration `json:"took_ns"`
}

// Check is one test of the box. Interactive checks need a person (a scan,
// a button, a door that moves): they run only when asked for by name.
type Check struct {
	Name        string
	Interactive bool
	Prompt      Text // what the person must do, for interactive checks
	Run         func(ctx context.Context) Result
}

// Event is what Run tells as it goes: a check starting (with its prompt
// when a person must act), a result, and at the end the report.
type Event struct {
	Running string  `json:"running,omitempty"`
	Prompt  *Text   `json:"prompt,omitempty"`
	Result  *Result `json:"result,omitempty"`
	Report  *Report `json:"report,omitempty"`
}

// Report is a whole run.
type Report struct {
	Time    time.Time     `json:"time"`
	Took    time.Duration `json:"took_ns"`
	Results []Result      `json:"results"`
}

// Summary is what the box tells the city of a run: counts and the names of
// the checks that did not pass, nothing else.
type Summary struct {
	Time     time.Time `json:"time"`
	OK       int       `json:"ok"`
	Warnings int       `json:"warnings"`
	Failures int       `json:"failures"`
	Failing  []string  `json:"failing,omitempty"` // checks with a warning or a failure
}

// Summary counts the report's verdicts.
func (r Report) Summary() Summary {
	s := Summary{Time: r.Time}
	for _, res := range r.Results {
		switch res.Verdict {
		case OK:
			s.OK++
			continue
		case Warning:
			s.Warnings++
		default:
			s.Failures++
		}
		s.Failing = append(s.Failing, res.Check)
	}
	return s
}

// Exit codes of `roomgate doctor`.
const (
	ExitOK       = 0 // every check passed
	ExitFailure  = 1 // at least one failure
	ExitWarnings = 2 // warnings, no failure
)

// ExitCode is the command's exit code for the report.
func (r Report) ExitCode() int {
	s := r.Summary()
	switch {
	case s.Failures > 0:
		return ExitFailure
	case s.Warnings > 0:
		return ExitWarnings
	}
	return ExitOK
}

// All, in Run's asked, asks for every interactive check.
const All = "all"

// Run runs the checks one after another: the non-interactive ones, and the
// interactive ones whose names are in asked (or all of them for All). emit, when not nil, hears of
// each check as it starts and ends. A check that panics is a failure, not
// the end of the run: its input came from a device or the network.
func Run(ctx context.Context, checks []Check, asked []string, emit func(Event)) Report {
	if emit == nil {
		emit = func(Event) {}
	}
	rep := Report{Time: time.Now().UTC()}
	start := time.Now()
	for _, c := range checks {
		if c.Interactive && !slices.Contains(asked, c.Name) && !slices.Contains(asked, All) {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		ev := Event{Running: c.Name}
		if c.Interactive {
			ev.Prompt = &c.Prompt
		}
		emit(ev)
		res := runOne(ctx, c)
		rep.Results = append(rep.Results, res)
		emit(Event{Result: &res})
	}
	rep.Took = time.Since(start)
	emit(Event{Report: &rep})
	return rep
}

func runOne(ctx context.Context, c Check) (res Result) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			res = Result{Verdict: Failure, Summary: Text{EN: "the check itself failed", VI: "bản thân bước kiểm tra bị lỗi"},
				Detail: fmt.Sprint(p), Remedy: &Text{EN: "Report this to the roomgate developers with the detail.", VI: "Báo lỗi này cho nhóm phát triển roomgate kèm chi tiết."}}
		}
		res.Check = c.Name
		res.Took = time.Since(start)
	}()
	return c.Run(ctx)
}

// Names lists the interactive checks, for a command's usage.
func Names(checks []Check, interactive bool) []string {
	var out []string
	for _, c := range checks {
		if c.Interactive == interactive {
			out = append(out, c.Name)
		}
	}
	return out
}

// ok, warn and fail make results; the check's name is filled in by Run.
func ok(summary Text, detail string) Result {
	return Result{Verdict: OK, Summary: summary, Detail: detail}
}

func warn(summary Text, detail string, remedy Text) Result {
	return Result{Verdict: Warning, Summary: summary, Detail: detail, Remedy: &remedy}
}

func fail(summary Text, detail string, remedy Text) Result {
	return Result{Verdict: Failure, Summary: summary, Detail: detail, Remedy: &remedy}
}
