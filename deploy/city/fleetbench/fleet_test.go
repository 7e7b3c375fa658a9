package fleetbench

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// TestFleet is the short run CI makes: 50 boxes that start with a backlog,
// take a compressed morning peak, lose the broker in the middle of it, and
// are drained by two ingest processes; the city must hold every record
// once.
func TestFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Mosquitto, PostgreSQL and two ingest processes")
	}
	e := newEnv(t)
	r := e.run(t, scenario{
		name: "ci: 40 rooms, 10 gates, peak ×60 with a broker restart", rooms: 40, gates: 10,
		window: 10 * time.Second, checkins: 30, gateEvery: 5 * time.Second / 60,
		roomBacklog: 50, gateBacklog: 200, backlogSpan: 48 * time.Hour,
		restartAt: 5 * time.Second, ingests: 2,
	})
	printTable(os.Stdout, "fleet (short)", []result{r})
}

// Environment of the full run (make bench-fleet).
const (
	scaleEnv = "ROOMGATE_FLEET_TIME_SCALE" // the peak's 10 minutes are divided by this
	roomsEnv = "ROOMGATE_FLEET_ROOMS"
	gatesEnv = "ROOMGATE_FLEET_GATES"
)

func envInt(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 {
		b.Fatalf("%s=%q: want a positive number", name, s)
	}
	return v
}

// BenchmarkFleet runs the city's hard moments with its whole fleet, 689
// rooms and 100 gates, each scenario once (use -benchtime 1x):
//
//   - peak: 30 delegates check in to every room within 10 minutes while
//     every gate lets one person in every 5 s, both sped up by the time
//     scale (10 by default: the same records in 1 minute, ten times the
//     rate);
//   - storm: the same, and the broker restarts halfway;
//   - morning-after: every box starts with two days of records: a room 4
//     meetings × 30 delegates a day, a gate an entry every 5 s for 8 hours
//     a day;
//   - ingest-N: every box starts with 400 records and 1, 2 or 4 ingest
//     processes share them.
func BenchmarkFleet(b *testing.B) {
	scale := envInt(b, scaleEnv, 10)
	rooms, gates := envInt(b, roomsEnv, 689), envInt(b, gatesEnv, 100)
	e := newEnv(b)
	peak := scenario{rooms: rooms, gates: gates, window: 10 * time.Minute / time.Duration(scale), checkins: 30,
		gateEvery: 5 * time.Second / time.Duration(scale), ingests: 1}
	storm := peak
	storm.restartAt = peak.window / 2
	morning := scenario{rooms: rooms, gates: gates, roomBacklog: 2 * 4 * 30, gateBacklog: 2 * 8 * 3600 / 5, backlogSpan: 48 * time.Hour, ingests: 1}
	cases := []scenario{peak, storm, morning}
	cases[0].name = "peak ×" + strconv.Itoa(scale)
	cases[1].name = "storm ×" + strconv.Itoa(scale)
	cases[2].name = "morning-after"
	for _, n := range []int{1, 2, 4} {
		cases = append(cases, scenario{name: "ingest-" + strconv.Itoa(n), rooms: rooms, gates: gates,
			roomBacklog: 400, gateBacklog: 400, backlogSpan: 48 * time.Hour, ingests: n})
	}
	var rows []result
	for _, sc := range cases {
		b.Run(sc.name, func(b *testing.B) {
			for range b.N {
				r := e.run(b, sc)
				b.ReportMetric(float64(r.events)/r.elapsed.Seconds(), "stored/s")
				rows = append(rows, r)
				printTable(os.Stdout, "fleet: "+sc.name, []result{r})
			}
		})
	}
	printTable(os.Stdout, "fleet: every scenario", rows)
}
