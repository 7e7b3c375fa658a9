// Package procstat reads a process's memory and CPU time from /proc, for
// the benchmarks that report how much a process takes.
package procstat

import (
	"bufio"
	"bytes"
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

// CPU returns the user and system time the process used, and that of its
// children it has waited for (a PostgreSQL postmaster's exited backends).
// Linux counts them in USER_HZ, 100 a second on every architecture Go runs
// on.
func CPU(pid int) (used, reaped time.Duration, err error) {
	f, err := statFields(pid)
	if err != nil {
		return 0, 0, err
	}
	// utime, stime, cutime, cstime are fields 14 to 17 of proc(5).
	var ticks [4]int64
	for i := range ticks {
		if ticks[i], err = strconv.ParseInt(f[11+i], 10, 64); err != nil {
			return 0, 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
	}
	tick := 10 * time.Millisecond
	return time.Duration(ticks[0]+ticks[1]) * tick, time.Duration(ticks[2]+ticks[3]) * tick, nil
}

// Children returns the ids of the processes whose parent is pid.
func Children(pid int) []int {
	dirs, _ := os.ReadDir("/proc")
	var out []int
	for _, d := range dirs {
		child, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		// ppid is field 4 of proc(5).
		if f, err := statFields(child); err == nil && f[1] == strconv.Itoa(pid) {
			out = append(out, child)
		}
	}
	return out
}

// statFields returns the fields of /proc/PID/stat after the command name,
// which may hold spaces: state (field 3 of proc(5)) is the first.
func statFields(pid int) ([]string, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return nil, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 15 {
		return nil, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	return f, nil
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
