package agent

import (
	"log/slog"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// notifyReady tells systemd the box is ready and returns how often the gate
// loop must ping the watchdog (0 when the unit has none). The pings come from
// the gate loop itself, so a hung gate is restarted and the relay falls back
// to its safe state.
func notifyReady(log *slog.Logger) time.Duration {
	if ok, err := daemon.SdNotify(false, daemon.SdNotifyReady); err != nil {
		log.Warn("systemd notify failed", "component", "agent", "err", err)
		return 0
	} else if !ok {
		return 0 // not under systemd
	}
	interval, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		log.Warn("systemd watchdog setting unreadable", "component", "agent", "err", err)
		return 0
	}
	return interval / 2
}

func pingWatchdog() { daemon.SdNotify(false, daemon.SdNotifyWatchdog) }
