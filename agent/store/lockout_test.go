package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestLockoutKeptAcrossReopen: a role's wrong PINs and lockout survive a
// restart, each failure reaches the outbox with its action, and a login
// clears them.
func TestLockoutKeptAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	at := time.Unix(1_800_000_000, 0)
	if l, err := s.Lockout(ctx, "secretary"); err != nil || l.Failures != 0 || !l.Until.IsZero() {
		t.Fatalf("Lockout(secretary) on a new store = %+v %v, want none", l, err)
	}
	want := Lockout{Role: "secretary", Failures: 5, Until: at.Add(time.Minute)}
	if err := s.AddLoginFailure(ctx, want, Action{At: at, Role: "secretary", Action: "login_failed"},
		Event{ID: "lf-1", Type: "vn.roomgate.login_failed.v1", Time: at, Payload: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if l, err := s.Lockout(ctx, "secretary"); err != nil || l.Failures != 5 || !l.Until.Equal(want.Until) {
		t.Errorf("Lockout(secretary) after reopening = %+v %v, want %+v", l, err, want)
	}
	if l, _ := s.Lockout(ctx, "technician"); l.Failures != 0 {
		t.Errorf("Lockout(technician) = %+v, want none: roles are apart", l)
	}
	if batch, err := s.Pending(ctx, 0, 10, 1<<20); err != nil || len(batch) != 1 || batch[0].ID != "lf-1" {
		t.Errorf("outbox = %+v %v, want the login failure", batch, err)
	}
	// The same event id again fails as a whole: no state without its event.
	if err := s.AddLoginFailure(ctx, Lockout{Role: "secretary", Failures: 6}, Action{At: at, Role: "secretary", Action: "login_failed"},
		Event{ID: "lf-1", Type: "vn.roomgate.login_failed.v1", Time: at, Payload: []byte(`{}`)}); err == nil {
		t.Error("AddLoginFailure with a duplicate event id = nil, want an error")
	}
	if l, _ := s.Lockout(ctx, "secretary"); l.Failures != 5 {
		t.Errorf("Lockout(secretary) after a failed write = %+v, want 5 failures still", l)
	}
	if err := s.AddLogin(ctx, Action{At: at.Add(2 * time.Minute), Role: "secretary", Action: "login"}); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.Lockout(ctx, "secretary"); l.Failures != 0 || !l.Until.IsZero() {
		t.Errorf("Lockout(secretary) after a login = %+v, want none", l)
	}
	if got, _ := s.Actions(ctx, 10); len(got) != 2 || got[0].Action != "login" || got[1].Action != "login_failed" {
		t.Errorf("Actions = %+v, want the failure and the login", got)
	}
}
