// Package procstat reads a process's memory and CPU time from /proc, for
// the benchmarks that report how much an agent process takes.
package procstat

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Memory returns the process's resident set (VmRSS) and its peak (VmHWM),
// in bytes.
func Memory(pid int) (rss, peak int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/%d/status: %s: %w", pid, k, err)
		}
		if k == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
	}
	return rss, peak, sc.Err()
}

// Rollup is a process's resident memory from smaps_rollup, in bytes.
type Rollup struct {
	RSS  int64 // resident pages
	PSS  int64 // resident pages with each shared one divided among the processes that map it
	Anon int64 // resident pages backed by no file: the Go heap, malloc's arenas, thread stacks
}

// SmapsRollup reads the process's Rollup. RSS minus Anon is what its
// files take: the binary, shared libraries and mapped models.
func SmapsRollup(pid int) (Rollup, error) {
	var r Rollup
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return r, err
	}
	defer f.Close()
	fields := map[string]*int64{"Rss": &r.RSS, "Pss": &r.PSS, "Anonymous": &r.Anon}
	found := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		dst := fields[k]
		if !ok || dst == nil {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return r, fmt.Errorf("/proc/%d/smaps_rollup: %s: %w", pid, k, err)
		}
		*dst = kb << 10
		found++
	}
	if err := sc.Err(); err != nil {
		return r, err
	}
	if found < len(fields) {
		return r, fmt.Errorf("/proc/%d/smaps_rollup: want Rss, Pss and Anonymous lines, found %d", pid, found)
	}
	return r, nil
}

// clockTick is the unit of /proc's CPU times: USER_HZ, 100 on every Linux
// the agent runs on.
const clockTick = 10 * time.Millisecond

// CPU returns the CPU time the process has used so far, user and system.
func CPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: fields are
	// counted after its closing one (utime and stime are fields 14 and 15).
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * clockTick, nil
}
