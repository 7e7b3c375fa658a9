package gallery

import (
	"bufio"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

var measure = flag.Bool("measure", false, "measure the int8 accuracy cost and the memory of 100,000 templates loaded from SQLite (slow)")

// TestMeasure prints the numbers the issue asks for beside the benchmarks:
//
//	go test -run TestMeasure -measure -v ./vision/gallery
func TestMeasure(t *testing.T) {
	if spec := os.Getenv("GALLERY_MEASURE_LOAD"); spec != "" {
		measureLoad(t, spec)
		return
	}
	if !*measure {
		t.Skip("without -measure")
	}
	for _, n := range []int{10_000, 100_000} {
		w := newWorld(uint64(n)+1, 128, n)
		g := mustBuild(t, Float32, 128, w.templates(1))
		var enrolled, strangers [][]float32
		for range 2000 {
			enrolled = append(enrolled, w.sample(w.rng.IntN(n)))
			strangers = append(strangers, w.unit())
		}
		for name, probes := range map[string][][]float32{"enrolled": enrolled, "strangers": strangers} {
			a, err := CompareInt8(g, probes)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("int8 vs float32, n=%d, %s: %v", n, name, a)
		}
	}

	// Each load in a process of its own, so nothing else is in its memory.
	const n = 100_000
	path := filepath.Join(t.TempDir(), "gallery.db")
	writeDB(t, path, newWorld(1, 128, n).templates(1))
	for _, prec := range []Precision{Float32, Int8} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMeasure$", "-test.v")
		cmd.Env = append(os.Environ(), fmt.Sprintf("GALLERY_MEASURE_LOAD=%s|%d|%d", path, prec, n))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", cmd, err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if _, m, ok := strings.Cut(line, "MEASURE "); ok {
				t.Log(m)
			}
		}
	}
}

// measureLoad loads a gallery from the database spec names and prints the
// process's memory before and after.
func measureLoad(t *testing.T, spec string) {
	var path string
	var prec Precision
	var n int
	if _, err := fmt.Sscanf(strings.ReplaceAll(spec, "|", " "), "%s %d %d", &path, &prec, &n); err != nil {
		t.Fatal(err)
	}
	before := procStatus(t)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	g, err := Build(Config{Model: testModel, Dim: 128, Precision: prec, Rows: n}, sqliteSource(db))
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	db.Close()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	after := procStatus(t)
	// What the runtime's scavenger gets back to over time, at once.
	debug.FreeOSMemory()
	settled := procStatus(t)
	fmt.Printf("MEASURE %v loaded from SQLite in %v: VmRSS %s before, %s after (peak VmHWM %s), %s once freed memory is returned; Go heap in use %.1f MB\n",
		g, took.Round(time.Millisecond), before["VmRSS"], after["VmRSS"], after["VmHWM"], settled["VmRSS"], float64(ms.HeapInuse)/1e6)
	runtime.KeepAlive(g)
}

func procStatus(t *testing.T) map[string]string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := make(map[string]string)
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), ":"); ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}
