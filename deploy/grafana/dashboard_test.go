package grafana

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/citylink"
	"github.com/roomgate/roomgate/agent/metrics"
	"github.com/roomgate/roomgate/deploy/city/ingest"
	"github.com/roomgate/roomgate/deploy/city/ingest/ingestmetrics"
	"github.com/roomgate/roomgate/internal/metricstest"
)

type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Type, Name, Query string
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int               `json:"id"`
	Type       string            `json:"type"`
	Title      string            `json:"title"`
	Datasource map[string]string `json:"datasource"`
	GridPos    struct{ H, W, X, Y int }
	Targets    []struct {
		RefID      string            `json:"refId"`
		Expr       string            `json:"expr"`
		Datasource map[string]string `json:"datasource"`
	} `json:"targets"`
}

// exposed is every metric family the agent (with every part: link, camera,
// terminal) and ingest serve, from the registries they build.
func exposed(t *testing.T) metricstest.Families {
	t.Helper()
	box := metrics.New(metrics.Box{Device: "box-1"}, metrics.Sources{
		Link:      func() citylink.Status { return citylink.Status{} },
		StoreSize: func() (int64, error) { return 1, nil },
		Gallery:   func() int64 { return 1 },
		Camera:    func() (int64, int64) { return 0, 0 },
		Terminal:  true,
	})
	city := ingestmetrics.New(func() ingest.Stats { return ingest.Stats{} })
	// The per-device series exist once a box's batch was committed.
	city.Committed(ingest.Batch{Device: "box-1", Events: []ingest.Event{{Type: "vn.roomgate.entry.v1", Time: time.Now()}}}, ingest.Saved{}, time.Millisecond)
	all := metricstest.Gather(t, box.Gatherer())
	for name, f := range metricstest.Gather(t, city.Gatherer()) {
		all[name] = f
	}
	return all
}

// metricName finds the metric names in a query: roomgate's own, and the
// Go and process collectors'.
var metricName = regexp.MustCompile(`\b(?:roomgate|process|go)_[a-z0-9_]+\b`)

func TestDashboard(t *testing.T) {
	raw, err := os.ReadFile("roomgate-fleet.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("roomgate-fleet.json is not valid JSON: %v", err)
	}
	// 39 is Grafana 11's; newer ones migrate it on load.
	if d.UID == "" || d.Title == "" || d.SchemaVersion < 39 {
		t.Errorf("uid %q, title %q, schemaVersion %d: want a uid, a title and a current Grafana's schema (39 or later)", d.UID, d.Title, d.SchemaVersion)
	}
	if len(d.Templating.List) != 1 || d.Templating.List[0].Type != "datasource" || d.Templating.List[0].Query != "prometheus" {
		t.Errorf("templating = %+v, want one Prometheus datasource variable", d.Templating.List)
	}
	variable := "${" + d.Templating.List[0].Name + "}"
	have := exposed(t)
	ids := map[int]bool{}
	queries := 0
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q: gridPos %+v does not fit Grafana's 24 columns", p.Title, p.GridPos)
		}
		if p.Datasource["uid"] != variable {
			t.Errorf("panel %q: datasource %v, want the %s variable", p.Title, p.Datasource, variable)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			queries++
			names := metricName.FindAllString(q.Expr, -1)
			if len(names) == 0 {
				t.Errorf("panel %q: query %q names no metric", p.Title, q.Expr)
			}
			for _, n := range names {
				family := n
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					if base, ok := strings.CutSuffix(n, suffix); ok && have[base] != nil {
						family = base
					}
				}
				if have[family] == nil {
					t.Errorf("panel %q: %s is exposed by neither the agent nor ingest", p.Title, n)
				}
			}
		}
	}
	for _, want := range []string{"Boxes online", "Outbox backlog by device", "Gate decisions per hour", "Failed bridge calls by device"} {
		found := false
		for _, p := range d.Panels {
			found = found || p.Title == want
		}
		if !found {
			t.Errorf("no panel %q", want)
		}
	}
	t.Logf("%d panels, %d queries, every metric exposed", len(d.Panels), queries)
}
