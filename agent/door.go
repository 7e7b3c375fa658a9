package agent

import (
	"errors"
	"sync"

	"github.com/roomgate/roomgate/devices/door"
)

// errDoorNotOpen is reported while the door's GPIO lines cannot be opened.
var errDoorNotOpen = errors.New("door: not connected")

// doorSlot holds the door controller once its lines are open, so the gate
// keeps deciding (and denying) while a technician fixes the wiring.
type doorSlot struct {
	mu    sync.Mutex
	ctrl  *door.Controller
	lines door.Lines
	err   error
}

func (d *doorSlot) set(ctrl *door.Controller, lines door.Lines, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ctrl, d.lines, d.err = ctrl, lines, err
}

func (d *doorSlot) get() (*door.Controller, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ctrl == nil {
		return nil, errors.Join(errDoorNotOpen, d.err)
	}
	return d.ctrl, nil
}

func (d *doorSlot) Ready() error {
	_, err := d.get()
	return err
}

func (d *doorSlot) Grant() error {
	ctrl, err := d.get()
	if err != nil {
		return err
	}
	return ctrl.Grant()
}

func (d *doorSlot) Deny() error {
	ctrl, err := d.get()
	if err != nil {
		return err
	}
	return ctrl.Deny()
}

// halt puts the door in its safe state; a door that never opened has nothing to halt.
func (d *doorSlot) halt() error {
	ctrl, err := d.get()
	if err != nil {
		return nil
	}
	return ctrl.Halt()
}

// close releases the lines after halt, so the safe state is what stays on them.
func (d *doorSlot) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.lines != nil {
		d.lines.Close()
	}
	d.ctrl, d.lines = nil, nil
}
