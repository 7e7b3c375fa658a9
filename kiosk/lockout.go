package kiosk

import "time"

// maxFailures wrong PINs in a row lock the role out; every wrong PIN after
// that, until a right one, locks it again for longer (lockoutSteps).
const maxFailures = 5

// lockoutSteps are the lockouts after maxFailures, maxFailures+1, ...
// wrong PINs; the last one repeats. A 6-digit PIN then takes years to
// guess at the screen.
var lockoutSteps = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 60 * time.Minute}

// Lockout is one role's wrong-PIN state. Actions keeps it across restarts,
// so that restarting the box gives a guesser no fresh tries. The state is
// per role, not per client: the kiosk serves only its own screen (see
// Config.AllowRemote), where one person and the next cannot be told apart.
// A role's lockout leaves the other role's view open, lasts an hour at
// most, and a right PIN after it ends clears it.
type Lockout struct {
	Failures int       // wrong PINs since the last right one
	Until    time.Time // locked until then; zero when not locked
}

// LoginFailure is one wrong PIN, for the record and the city; the PIN
// typed is never part of it.
type LoginFailure struct {
	Role    string
	At      time.Time
	Lockout Lockout // the role's state after it
}

// failed is the state after one more wrong PIN at now.
func (l Lockout) failed(now time.Time) Lockout {
	l.Failures++
	if n := l.Failures - maxFailures; n >= 0 {
		l.Until = now.Add(lockoutSteps[min(n, len(lockoutSteps)-1)])
	}
	return l
}

// left is how many wrong PINs remain before a lockout.
func (l Lockout) left() int { return max(maxFailures-l.Failures, 0) }

// wait is the time until the lockout ends, in whole seconds rounded up; 0
// when not locked.
func (l Lockout) wait(now time.Time) int {
	if !now.Before(l.Until) {
		return 0
	}
	return int((l.Until.Sub(now) + time.Second - 1) / time.Second)
}
