package doctor

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Clock is the box's wall clock as the agent judges it (agent/clock).
type Clock interface {
	Synced() bool
	String() string
}

// OffsetClock is a clock that also knows its estimated offset from true
// time (the kernel's NTP discipline does).
type OffsetClock interface {
	Clock
	Offset() (offset time.Duration, ok bool)
}

// MaxClockOffset is the offset above which the clock gets a warning: pass
// windows allow a skew of about this much.
const MaxClockOffset = time.Second

// ClockCheck checks that the clock has synchronised since boot and, where
// measurable, how far off it is.
func ClockCheck(c Clock) Check {
	return Check{Name: "clock", Run: func(context.Context) Result {
		if !c.Synced() {
			return fail(Text{EN: "the clock has not synchronised since boot", VI: "đồng hồ chưa được đồng bộ từ khi khởi động"},
				"source "+c.String(),
				Text{EN: "Check that the box reaches the city's time server (NTP): network cable, firewall, `timedatectl status`. Passes are refused until the clock is synchronised.",
					VI: "Kiểm tra thiết bị kết nối được máy chủ thời gian (NTP) của thành phố: cáp mạng, tường lửa, `timedatectl status`. Thẻ ra vào bị từ chối cho đến khi đồng hồ được đồng bộ."})
		}
		detail := "source " + c.String()
		if oc, ok := c.(OffsetClock); ok {
			if off, ok := oc.Offset(); ok {
				detail += fmt.Sprintf(", offset %v", off)
				if off > MaxClockOffset || off < -MaxClockOffset {
					return warn(Text{EN: "the clock is synchronised but far off", VI: "đồng hồ đã đồng bộ nhưng còn lệch nhiều"}, detail,
						Text{EN: "Wait a few minutes for NTP to correct it; if it stays, check the time server.", VI: "Chờ vài phút để NTP hiệu chỉnh; nếu vẫn lệch, kiểm tra máy chủ thời gian."})
				}
			}
		}
		return ok(Text{EN: "the clock is synchronised", VI: "đồng hồ đã được đồng bộ"}, detail)
	}}
}

// Store is the box's store as the disk check needs it.
type Store interface {
	// QuickCheck runs SQLite's PRAGMA quick_check: "ok", or the problems.
	QuickCheck(ctx context.Context) ([]string, error)
}

// Free space below which the disk check warns, and fails.
const (
	DiskWarnBytes = 1 << 30
	DiskFailBytes = 100 << 20
)

// DiskCheck checks the free space of the filesystem holding dir (the
// store's directory) and the store's integrity.
func DiskCheck(dir string, st Store) Check {
	return Check{Name: "disk", Run: func(ctx context.Context) Result {
		var fs unix.Statfs_t
		if err := unix.Statfs(dir, &fs); err != nil {
			return fail(Text{EN: "cannot read the store's filesystem", VI: "không đọc được ổ đĩa chứa dữ liệu"}, err.Error(),
				Text{EN: "Check that the storage (SD card or disk) is mounted and the store path in the config is right.", VI: "Kiểm tra thẻ nhớ/ổ đĩa đã được gắn và đường dẫn dữ liệu trong cấu hình là đúng."})
		}
		free := fs.Bavail * uint64(fs.Bsize)
		detail := fmt.Sprintf("%s free of %s on %s", bytesText(free), bytesText(fs.Blocks*uint64(fs.Bsize)), dir)
		problems, err := st.QuickCheck(ctx)
		switch {
		case err != nil:
			return fail(Text{EN: "the store could not be checked", VI: "không kiểm tra được cơ sở dữ liệu"}, detail+"; quick_check: "+err.Error(),
				Text{EN: "Restart the box; if it persists, the storage may be failing: replace it and restore the box.", VI: "Khởi động lại thiết bị; nếu vẫn lỗi, thẻ nhớ có thể hỏng: thay thẻ và cài đặt lại."})
		case len(problems) != 1 || problems[0] != "ok":
			return fail(Text{EN: "the store is damaged", VI: "cơ sở dữ liệu bị hỏng"}, fmt.Sprintf("%s; quick_check: %s", detail, strings.Join(first(problems, 5), "; ")),
				Text{EN: "Records not yet sent may be at risk: call city IT before replacing the storage.", VI: "Các bản ghi chưa gửi có thể bị mất: gọi bộ phận CNTT thành phố trước khi thay thẻ nhớ."})
		case free < DiskFailBytes:
			return fail(Text{EN: "the disk is almost full", VI: "ổ đĩa gần đầy"}, detail,
				Text{EN: "Free space now (old logs, files left by hand); records stop being kept when the disk is full.", VI: "Giải phóng dung lượng ngay (nhật ký cũ, tệp để lại); khi đĩa đầy, bản ghi sẽ không được lưu."})
		case free < DiskWarnBytes:
			return warn(Text{EN: "the disk is getting full", VI: "ổ đĩa sắp đầy"}, detail,
				Text{EN: "Check the outbox is reaching the city and free some space.", VI: "Kiểm tra dữ liệu đang được gửi về thành phố và giải phóng bớt dung lượng."})
		}
		return ok(Text{EN: "enough free space; the store is sound", VI: "đủ dung lượng trống; cơ sở dữ liệu nguyên vẹn"}, detail)
	}}
}

func first(s []string, n int) []string { return s[:min(n, len(s))] }

// MemoryCheck checks the memory available (MemAvailable of meminfo, a path
// so tests can point it at a fixture) against what the agent needs.
func MemoryCheck(meminfo string, need uint64) Check {
	return Check{Name: "memory", Run: func(context.Context) Result {
		avail, err := memAvailable(meminfo)
		if err != nil {
			return fail(Text{EN: "cannot read the memory available", VI: "không đọc được bộ nhớ còn trống"}, err.Error(),
				Text{EN: "This box's kernel does not report MemAvailable: use a supported Debian kernel.", VI: "Nhân hệ điều hành không báo MemAvailable: dùng nhân Debian được hỗ trợ."})
		}
		detail := fmt.Sprintf("%s available, the agent needs %s", bytesText(avail), bytesText(need))
		switch {
		case avail < need:
			return fail(Text{EN: "not enough memory", VI: "không đủ bộ nhớ"}, detail,
				Text{EN: "Stop other programs on the box, or use a board with more memory.", VI: "Tắt các chương trình khác trên thiết bị, hoặc dùng bo mạch có nhiều bộ nhớ hơn."})
		case avail < 2*need:
			return warn(Text{EN: "memory is short", VI: "bộ nhớ còn ít"}, detail,
				Text{EN: "Stop programs the box does not need.", VI: "Tắt các chương trình thiết bị không cần."})
		}
		return ok(Text{EN: "enough memory", VI: "đủ bộ nhớ"}, detail)
	}}
}

func memAvailable(path string) (uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, found := strings.CutPrefix(sc.Text(), "MemAvailable:")
		if !found {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: MemAvailable: %w", path, err)
		}
		return kb << 10, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("%s: no MemAvailable line", path)
}

func bytesText(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", n>>10)
}
