package agent

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/agent/wire"
	"github.com/roomgate/roomgate/internal/mqtttest"
	"github.com/roomgate/roomgate/internal/socat"
)

// TestCityVisits: the city's signed visits reach the box's store through
// the broker, with their templates; a list of another recognizer's
// templates is refused whole with the reason in state, and an empty list
// removes every visit.
func TestCityVisits(t *testing.T) {
	c := &city{broker: mqtttest.Start(t)}
	o := startOps(t, c.broker)
	dir := t.TempDir()
	link := socat.Pair(t, dir)
	startAgent(t, c.boxConfig(t, dir, link.Device, newIssuer(t)))
	o.waitState(t, "the box online", func(st wire.State) bool { return st.Online && st.Link.Connected })

	template := make([]byte, 4*128)
	for i := range 128 {
		binary.LittleEndian.PutUint32(template[4*i:], math.Float32bits(float32(i%7)-3))
	}
	now := time.Now().UTC().Truncate(time.Second)
	visit := func(id, number, model string) wire.Visit {
		return wire.Visit{ID: id, IDNumber: number, Name: "Nguyễn Văn An", Host: "Sở Nội vụ", Gates: []string{"test-site/test-gate"},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), Uses: 1, Model: model, Template: template}
	}
	o.publish(t, wire.LeafVisits, true, wire.Visits{Version: 1, Visits: []wire.Visit{visit("V-1", "001099012345", boxModel)}})
	o.waitState(t, "visits v1 applied", func(st wire.State) bool { return st.Visits.Version == 1 && st.Visits.Applied })
	st := openBoxStore(t, dir)
	got, err := st.VisitsFor(context.Background(), "001099012345")
	if err != nil || len(got) != 1 || got[0].ID != "V-1" || string(got[0].Template) != string(template) || got[0].Model != boxModel || !got[0].NotAfter.Equal(now.Add(time.Hour)) {
		t.Fatalf("VisitsFor() after v1 = %+v, %v; want V-1 with its template", got, err)
	}

	o.publish(t, wire.LeafVisits, true, wire.Visits{Version: 2, Visits: []wire.Visit{visit("V-2", "001099054321", "sface-2021dec")}})
	refused := o.waitState(t, "visits v2 refused", func(st wire.State) bool { return st.Visits.Version == 2 && !st.Visits.Applied })
	if !strings.Contains(refused.Visits.Error, "model sface-2021dec; this box runs "+boxModel) {
		t.Errorf("state().visits of another model = %+v, want the models named", refused.Visits)
	}
	if _, err := st.VisitsFor(context.Background(), "001099054321"); !errors.Is(err, store.ErrNoVisit) {
		t.Errorf("a visit of another model was kept: %v", err)
	}

	o.publishRaw(t, wire.LeafVisits, true, []byte(`{"version":3,"visits":[]}`))
	unsigned := o.waitState(t, "unsigned visits refused", func(st wire.State) bool { return strings.Contains(st.Visits.Error, "not signed") })
	if unsigned.Visits.Applied {
		t.Errorf("state().visits after an unsigned list = %+v", unsigned.Visits)
	}
	if _, err := st.VisitsFor(context.Background(), "001099012345"); err != nil {
		t.Errorf("an unsigned list removed the visits: %v", err)
	}

	o.publish(t, wire.LeafVisits, true, wire.Visits{Version: 4, Visits: []wire.Visit{}})
	o.waitState(t, "visits v4 applied", func(st wire.State) bool { return st.Visits.Version == 4 && st.Visits.Applied })
	if _, err := st.VisitsFor(context.Background(), "001099012345"); !errors.Is(err, store.ErrNoVisit) {
		t.Errorf("VisitsFor() after an empty list = %v, want ErrNoVisit", err)
	}
}
