//go:build vision

package agent

import (
	"bufio"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roomgate/roomgate/agent/store"
	"github.com/roomgate/roomgate/deploy/systemd"
	config "github.com/roomgate/roomgate/firmware-config"
	"github.com/roomgate/roomgate/internal/procstat"
	"github.com/roomgate/roomgate/vision/gallery"
)

const (
	// peopleEnv sizes the gallery; the figure is 100,000.
	peopleEnv = "ROOMGATE_VISION_BENCH_PEOPLE"
	// linkEnv=full links every OpenCV module, as a plain go build does,
	// to compare with the shipped link (vision/slimcv.sh), the default.
	linkEnv = "ROOMGATE_VISION_BENCH_LINK"
	// agentEnvEnv adds variables to the agent's environment, such as
	// "OPENCV_FOR_THREADS_NUM=1 GOGC=50", to measure what each saves.
	agentEnvEnv = "ROOMGATE_VISION_BENCH_AGENT_ENV"
	// recognizerEnv chooses vision.recognizer, e.g. mobilefacenet_y1 to
	// compare with the research model; the config's default without it.
	recognizerEnv = "ROOMGATE_VISION_BENCH_RECOGNIZER"
	// fpsEnv sets the file camera's rate (vision.camera.max_fps); the
	// default is the camera's own default, 30.
	fpsEnv = "ROOMGATE_VISION_BENCH_FPS"
	// visionEnv adds lines to the config's vision section, separated by
	// ";", such as "detect_width: 320", to measure what a setting costs.
	visionEnv = "ROOMGATE_VISION_BENCH_VISION"
	// smapsEnv names a folder where each run's /proc/<pid>/smaps is
	// kept, to see which mappings the memory is in.
	smapsEnv = "ROOMGATE_VISION_BENCH_SMAPS"
	// secondsEnv is how long frames run before the memory is read (30 s
	// without it): the collector lets the heap grow for tens of seconds
	// before it runs, and a reading after 5 s missed 35 MiB of it.
	secondsEnv = "ROOMGATE_VISION_BENCH_SECONDS"
)

// BenchmarkVisionAgentMemory runs the real agent binary, built with the
// face engine, on the demo's sample video against a gallery of n people
// (random templates of the shipped model) and reports its memory once the
// gallery is loaded and frames have gone through the engine. Run with a
// fixed count:
//
//	ROOMGATE_VISION_BENCH_PEOPLE=100000 go test -tags vision -run '^$' -bench VisionAgentMemory -benchtime 1x ./agent/
func BenchmarkVisionAgentMemory(b *testing.B) {
	n := positiveEnv(b, peopleEnv, 10_000, "people")
	window := time.Duration(positiveEnv(b, secondsEnv, 30, "seconds")) * time.Second
	bin := buildVisionAgent(b, os.Getenv(linkEnv))
	extraEnv := strings.Fields(os.Getenv(agentEnvEnv))
	video, err := filepath.Abs("../deploy/demo/media/sample.avi")
	if err != nil {
		b.Fatal(err)
	}
	for _, prec := range []string{"float32", "int8"} {
		b.Run(fmt.Sprintf("people=%d/precision=%s", n, prec), func(b *testing.B) {
			for range b.N {
				dir := b.TempDir()
				cfg, model := visionBenchConfig(b, dir, video, "precision: "+prec)
				fillGallery(b, filepath.Join(dir, "roomgate.db"), model, n)
				m := measureAgent(b, bin, cfg, extraEnv, window)
				b.ReportMetric(m.load.Seconds(), "gallery-load-s")
				b.ReportMetric(float64(m.rss)/(1<<20), "rss-MiB")
				b.ReportMetric(float64(m.rssMax)/(1<<20), "rss-max-MiB")
				b.ReportMetric(float64(m.PSS)/(1<<20), "pss-MiB")
				b.ReportMetric(float64(m.Anon)/(1<<20), "anon-MiB")
				b.ReportMetric(float64(m.RSS-m.Anon)/(1<<20), "files-MiB")
				b.ReportMetric(float64(m.peak)/(1<<20), "peak-MiB")
			}
		})
	}
}

// visionBenchConfig writes the benchmarks' box config into dir: a file
// camera playing video at ROOMGATE_VISION_BENCH_FPS (30 without it), the
// recogniser ROOMGATE_VISION_BENCH_RECOGNIZER names (the config's default
// without it), the given lines of the vision section and those of
// ROOMGATE_VISION_BENCH_VISION. It returns the config's path and the
// recogniser's template name.
func visionBenchConfig(b *testing.B, dir, video string, vision ...string) (path, model string) {
	b.Helper()
	if r := os.Getenv(recognizerEnv); r != "" {
		vision = append(vision, "recognizer: "+r)
	}
	if s := os.Getenv(visionEnv); s != "" {
		vision = append(vision, strings.Split(s, ";")...)
	}
	fps := "30"
	if s := os.Getenv(fpsEnv); s != "" {
		if v, err := strconv.ParseFloat(s, 64); err != nil || v <= 0 {
			b.Fatalf("%s=%q: want a positive frame rate", fpsEnv, s)
		}
		fps = s
	}
	path = filepath.Join(dir, "roomgate.yaml")
	yaml := fmt.Sprintf(`identity: {site: bench-site, gate: bench-gate, device: bench-box}
board: sim
store: {path: roomgate.db}
http: {listen: "127.0.0.1:0"}
vision:
  camera: {name: bench-cam, kind: file, path: %s, max_fps: %s}
`, video, fps)
	for _, l := range vision {
		yaml += "  " + l + "\n"
	}
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		b.Fatal(err)
	}
	c, err := config.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	return path, c.Vision.RecognizerName
}

// fillGallery writes n people with one random unit template of model each,
// in one transaction (enrolling them one by one would take the benchmark's
// time).
func fillGallery(b *testing.B, path, model string, n int) {
	b.Helper()
	st, err := store.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	person, _ := tx.Prepare(`INSERT INTO people(id, name, source) VALUES (?, ?, 'city')`)
	tpl, _ := tx.Prepare(`INSERT INTO templates(person_id, model, vec, enrolled_ns) VALUES (?, ?, ?, 0)`)
	rnd := rand.New(rand.NewPCG(7, uint64(n)))
	vec := make([]float32, 128)
	for i := range n {
		var norm float64
		for j := range vec {
			vec[j] = float32(rnd.NormFloat64())
			norm += float64(vec[j]) * float64(vec[j])
		}
		for j := range vec {
			vec[j] /= float32(math.Sqrt(norm))
		}
		id := fmt.Sprintf("P-%06d", i)
		if _, err := person.Exec(id, "Người "+id); err != nil {
			b.Fatal(err)
		}
		if _, err := tpl.Exec(id, model, gallery.Encode(vec)); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := tx.Exec(`INSERT INTO settings(key, value) VALUES ('templates.version', '1')`); err != nil {
		b.Fatal(err)
	}
	// The templates went in unsealed, as in a store of an older roomgate:
	// without its key check the store seals them when it is next opened.
	// That happens here, once, as on a box's first start after the
	// upgrade, so that the agent's start measured is an everyday one.
	if _, err := tx.Exec(`DELETE FROM settings WHERE key = 'store.key_check'`); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if st, err = store.Open(path); err != nil {
		b.Fatal(err)
	}
	st.Close()
}

// buildVisionAgent builds the agent with the face engine, linked as the
// packages link it (vision/slimcv.sh) or, with link "full", against every
// OpenCV module.
func buildVisionAgent(b *testing.B, link string) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "roomgate")
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	var cmd *exec.Cmd
	switch link {
	case "full":
		cmd = exec.Command(goTool, "build", "-tags", "vision", "-o", bin, "github.com/roomgate/roomgate/agent/cmd/roomgate")
	case "", "slim":
		cmd = exec.Command("../vision/slimcv.sh", goTool, "build", "-tags", "vision,customenv", "-o", bin, "github.com/roomgate/roomgate/agent/cmd/roomgate")
	default:
		b.Fatalf("%s=%q: want slim or full", linkEnv, link)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	return bin
}

type agentMemory struct {
	load      time.Duration
	rss, peak int64 // from /proc/<pid>/status at the end; peak includes the load
	rssMax    int64 // the highest RSS of the window, read each second
	procstat.Rollup
}

// measureAgent starts the agent, waits for its face engine and a window of
// frames (detection, embedding and a search of the whole gallery), and
// returns how long the gallery took to load and the memory.
func measureAgent(b *testing.B, bin, cfg string, extraEnv []string, window time.Duration) agentMemory {
	b.Helper()
	start := time.Now()
	stop, pid := startVisionAgent(b, bin, cfg, extraEnv)
	defer stop()
	m := agentMemory{load: time.Since(start)}
	var err error
	for end := time.Now().Add(window); time.Now().Before(end); {
		time.Sleep(time.Second)
		if m.rss, m.peak, err = procstat.Memory(pid); err != nil {
			b.Fatal(err)
		}
		m.rssMax = max(m.rssMax, m.rss)
	}
	if m.Rollup, err = procstat.SmapsRollup(pid); err != nil {
		b.Fatal(err)
	}
	if dir := os.Getenv(smapsEnv); dir != "" {
		smaps, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, strings.ReplaceAll(b.Name(), "/", "_")+".smaps"), smaps, 0o644)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	return m
}

// startVisionAgent starts the agent and returns once its face engine has
// loaded the gallery, with a function that stops it and its pid.
func startVisionAgent(b *testing.B, bin, cfg string, extraEnv []string) (stop func(), pid int) {
	b.Helper()
	cmd := exec.Command(bin, "agent", "--config", cfg)
	unitEnv, err := systemd.AgentEnvironment() // as the box runs it
	if err != nil {
		b.Fatal(err)
	}
	cmd.Env = slices.Concat(os.Environ(), unitEnv, extraEnv)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	stop = func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }
	ready := make(chan struct{}, 1)
	go func() { // drains the log to the end: a reload logs the line again
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), `msg="gallery loaded"`) {
				select {
				case ready <- struct{}{}:
				default:
				}
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(2 * time.Minute):
		stop()
		b.Fatalf("no gallery loaded within 2 minutes")
	}
	return stop, cmd.Process.Pid
}
