//go:build vision

package agent

import (
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/roomgate/roomgate/internal/procstat"
)

// decisionEnv chooses the CPU benchmark's rule, vote (default) or
// sequential.
const decisionEnv = "ROOMGATE_VISION_BENCH_DECISION"

// BenchmarkVisionAgentCPU runs the real agent binary (linked as
// ROOMGATE_VISION_BENCH_LINK says, see BenchmarkVisionAgentMemory) on a file
// camera at ROOMGATE_VISION_BENCH_FPS (30 without it) showing an empty
// doorway, one face and five faces side by side, and reports its CPU over
// 10 s as a share of one core. The faces are LFW crops of people nobody
// enrolled: strangers standing there, detected on every frame and embedded
// until called unknown, then on each confirmation.
//
//	go test -tags vision -run '^$' -bench VisionAgentCPU -benchtime 1x ./agent/
func BenchmarkVisionAgentCPU(b *testing.B) {
	decision := os.Getenv(decisionEnv)
	if decision == "" {
		decision = "vote"
	}
	bin := buildVisionAgent(b, os.Getenv(linkEnv))
	extraEnv := strings.Fields(os.Getenv(agentEnvEnv))
	lfw := filepath.Join("..", "..", "shared", "datasets", "lfw_112x112", "images")
	if _, err := os.Stat(lfw); err != nil {
		b.Skipf("LFW crops not found (%v): the benchmark needs ../shared beside the repository", err)
	}
	crops := firstPeople(b, lfw, 5)
	for _, faces := range []int{0, 1, 5} {
		b.Run(fmt.Sprintf("faces=%d/decision=%s", faces, decision), func(b *testing.B) {
			for range b.N {
				dir := b.TempDir()
				video := filepath.Join(dir, "door.avi")
				doorwayVideo(b, video, lfw, crops[:faces])
				cfg, _ := visionBenchConfig(b, dir, video, "decision: "+decision)
				b.ReportMetric(agentCPU(b, bin, cfg, extraEnv), "cpu-%")
			}
		})
	}
}

// firstPeople are the first n people of the LFW crops, by name.
func firstPeople(b *testing.B, lfw string, n int) []string {
	b.Helper()
	entries, err := os.ReadDir(lfw)
	if err != nil {
		b.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if len(names) < n && e.IsDir() {
			names = append(names, e.Name())
		}
	}
	if len(names) < n {
		b.Fatalf("%s: %d people, want %d", lfw, len(names), n)
	}
	return names
}

// doorwayVideo writes a second of a grey 640×480 doorway with the first
// photo of each named person in a row across it, unscaled.
func doorwayVideo(b *testing.B, path, lfw string, people []string) {
	b.Helper()
	frame := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(60, 60, 60, 0), 480, 640, gocv.MatTypeCV8UC3)
	defer frame.Close()
	for i, name := range people {
		img := readPhoto(b, filepath.Join(lfw, name, name+"_0001.jpg"))
		x := 8 + i*126
		roi := frame.Region(image.Rect(x, 184, x+img.Cols(), 184+img.Rows()))
		img.CopyTo(&roi)
		roi.Close()
		img.Close()
	}
	writeVideo(b, frame, path)
}

// agentCPU starts the agent, waits for its face engine and 5 s of frames,
// and returns the CPU it uses over the next 10 s, in percent of one core.
func agentCPU(b *testing.B, bin, cfg string, extraEnv []string) float64 {
	b.Helper()
	stop, pid := startVisionAgent(b, bin, cfg, extraEnv)
	defer stop()
	time.Sleep(5 * time.Second)
	before, _, err := procstat.CPU(pid)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	time.Sleep(10 * time.Second)
	after, _, err := procstat.CPU(pid)
	if err != nil {
		b.Fatal(err)
	}
	return 100 * float64(after-before) / float64(time.Since(start))
}
