package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Limits of an events batch.
const (
	MaxEventsSize   = 1 << 20
	MaxBatchEvents  = 10_000 // one ack can answer a whole batch
	SpecVersion     = "1.0"
	DataContentType = "application/json"
	sourceScheme    = "roomgate://"
)

// typePattern is vn.roomgate.<name>.v<N>, the name in lowercase dotted words.
var typePattern = regexp.MustCompile(`^vn\.roomgate\.[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.v[1-9][0-9]{0,5}$`)

// Event is a CloudEvent 1.0 in structured JSON mode, as a box sends it.
type Event struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"` // roomgate://<site>/<device>
	Type            string          `json:"type"`   // vn.roomgate.<name>.v<N>
	Time            time.Time       `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	Data            json.RawMessage `json:"data"` // a JSON object
}

// Source is the CloudEvent source of a box: roomgate://<site>/<device>.
func Source(site, device string) string { return sourceScheme + site + "/" + device }

// SourceSite returns the site of a source, "" when it is not a box's.
func SourceSite(source string) string {
	rest, ok := strings.CutPrefix(source, sourceScheme)
	site, _, cut := strings.Cut(rest, "/")
	if !ok || !cut || !ValidName(site) {
		return ""
	}
	return site
}

var eventFree = map[string]bool{"data": true}

// DecodeEvents splits an events batch into its events, unparsed: a JSON
// array of 1..MaxBatchEvents objects, with no duplicate key anywhere.
// Decode and validate each with DecodeEvent, so one bad event need not cost
// the batch. The events share payload's memory.
func DecodeEvents(payload []byte) ([]json.RawMessage, error) {
	if len(payload) > MaxEventsSize {
		return nil, errorf(ErrTooLarge, "events: %d bytes, limit %d", len(payload), MaxEventsSize)
	}
	if firstByte(payload) != '[' {
		return nil, errorf(ErrMalformed, "events: want an array")
	}
	if err := checkKeys(payload, anyKeys); err != nil {
		return nil, errorf(ErrMalformed, "events: %v", err)
	}
	// Valid JSON from here: split the array without decoding it again.
	var batch []json.RawMessage
	for i := skipSpace(payload, skipSpace(payload, 0)+1); payload[i] != ']'; {
		if payload[i] != '{' {
			return nil, errorf(ErrMalformed, "events: [%d]: want an object", len(batch))
		}
		if len(batch) == MaxBatchEvents {
			return nil, errorf(ErrInvalid, "events: more than %d events", MaxBatchEvents)
		}
		end := valueEnd(payload, i)
		batch = append(batch, payload[i:end:end])
		i = skipSpace(payload, end)
		if payload[i] == ',' {
			i = skipSpace(payload, i+1)
		}
	}
	if len(batch) == 0 {
		return nil, errorf(ErrInvalid, "events: empty batch")
	}
	return batch, nil
}

// DecodeEvent strictly decodes one event of a batch and validates it as
// sent by device (the device of the topic it arrived on).
func DecodeEvent(raw []byte, device string) (Event, error) {
	var e Event
	if err := decode("event", raw, MaxEventsSize, '{', eventFree, &e); err != nil {
		return Event{}, err
	}
	if err := e.Validate(device); err != nil {
		return Event{}, err
	}
	return e, nil
}

// Validate checks the event's attributes against the contract for an event
// from device.
func (e Event) Validate(device string) error {
	if err := checkID(e.ID); err != nil {
		return errorf(ErrInvalid, "event: id: %v", err)
	}
	fail := func(format string, args ...any) error {
		return errorf(ErrInvalid, "event %s: %s", e.ID, fmt.Sprintf(format, args...))
	}
	if e.SpecVersion != SpecVersion {
		return fail("specversion %.20q, want %q", e.SpecVersion, SpecVersion)
	}
	site, dev, ok := strings.Cut(strings.TrimPrefix(e.Source, sourceScheme), "/")
	if !strings.HasPrefix(e.Source, sourceScheme) || !ok || !ValidName(site) || dev != device {
		return fail("source %.100q, want %s", e.Source, Source("<site>", device))
	}
	if !typePattern.MatchString(e.Type) {
		return fail("type %.100q, want vn.roomgate.<name>.v<N>", e.Type)
	}
	if e.Time.IsZero() {
		return fail("time missing")
	}
	if e.DataContentType != DataContentType {
		return fail("datacontenttype %.40q, want %s", e.DataContentType, DataContentType)
	}
	if firstByte(e.Data) != '{' {
		return fail("data: want a JSON object")
	}
	return nil
}

// checkID checks an event or command id: 1..MaxIDSize printable ASCII
// characters, no spaces.
func checkID(id string) error {
	if id == "" || len(id) > MaxIDSize {
		return fmt.Errorf("must be 1..%d bytes, got %d", MaxIDSize, len(id))
	}
	if i := bytes.IndexFunc([]byte(id), func(r rune) bool { return r <= ' ' || r > '~' }); i >= 0 {
		return errors.New("must be printable ASCII without spaces")
	}
	return nil
}
