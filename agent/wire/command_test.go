package wire

import (
	"errors"
	"testing"
	"time"
)

func TestCommandCheckTime(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	sec := func(d time.Duration) int64 { return now.Add(d).Unix() }
	for _, c := range []struct {
		name     string
		iat, exp int64
		want     error
	}{
		{"fresh", sec(-time.Second), sec(29 * time.Second), nil},
		{"city clock a little ahead", sec(5 * time.Second), sec(35 * time.Second), nil},
		{"no times", 0, 0, ErrInvalid},
		{"no exp", sec(0), 0, ErrInvalid},
		{"exp before iat", sec(0), sec(-time.Second), ErrInvalid},
		{"lives too long", sec(0), sec(MaxCommandLifetime + time.Second), ErrInvalid},
		{"expired", sec(-40 * time.Second), sec(-10 * time.Second), ErrStale},
		{"expires now", sec(-30 * time.Second), sec(0), ErrStale},
		{"issued ahead beyond the skew", sec(CommandSkew + time.Second), sec(CommandSkew + 31*time.Second), ErrStale},
	} {
		err := Command{ID: "c1", Name: CmdOpenDoor, IssuedAt: c.iat, ExpiresAt: c.exp}.CheckTime(now)
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: CheckTime() = %v, want %v", c.name, err, c.want)
		}
	}
	// A deletion may wait for a box that was offline for weeks; a door command may not.
	week := Command{ID: "c2", Name: CmdDeletePerson, IssuedAt: sec(-7 * 24 * time.Hour), ExpiresAt: sec(23 * 24 * time.Hour)}
	if err := week.CheckTime(now); err != nil {
		t.Errorf("delete_person sent a week ago, valid 30 days: CheckTime() = %v, want nil", err)
	}
	week.Name = CmdOpenDoor
	if err := week.CheckTime(now); !errors.Is(err, ErrInvalid) {
		t.Errorf("open_door valid 30 days: CheckTime() = %v, want ErrInvalid", err)
	}
}
