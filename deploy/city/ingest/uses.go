package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode"

	roomevent "github.com/roomgate/roomgate/agent/event"
	"github.com/roomgate/roomgate/agent/wire"
)

// A pass's uses are counted per box, in its store. So that a one-time pass
// lets its holder in once at a site rather than once at each of its boxes,
// ingest tells every box of the site, after storing an entry that granted a
// pass, how often the pass was granted at the site altogether, as stored.
// A box keeps the larger of its count and the city's.
//
// The window this leaves: a box learns of a use elsewhere only once that
// box's entry reached the city and the count reached it. Two boxes cut off
// from the city at the same time can each admit a pass as often as it
// allows.

// usedPass is the part of an entry's data that sharing reads, as the
// box's gate writes it.
type usedPass struct {
	Method   string `json:"method"`
	Decision string `json:"decision"`
	PassID   string `json:"pass_id"`
}

// grantedPasses returns, by site, the passes that entries in b granted.
func grantedPasses(b Batch) map[string][]string {
	out := map[string][]string{}
	for _, e := range b.Events {
		if e.Type != roomevent.TypeEntry {
			continue
		}
		var u usedPass
		// A pass id with control characters is no pass's, and PostgreSQL
		// would refuse a NUL in the query forever.
		if json.Unmarshal(e.Data, &u) != nil || u.Method != "pass" || u.Decision != "granted" ||
			u.PassID == "" || len(u.PassID) > wire.MaxPassIDSize || strings.ContainsFunc(u.PassID, unicode.IsControl) {
			continue
		}
		site := wire.SourceSite(e.Source)
		if site != "" && !slices.Contains(out[site], u.PassID) {
			out[site] = append(out[site], u.PassID)
		}
	}
	return out
}

// shareUses publishes the site-wide use counts of the passes that b
// granted to every box of their site, the sender included (it may have
// missed a count while it was away). Counting again is harmless, so a
// message handled twice only sends the same counts twice.
func (in *Ingester) shareUses(ctx context.Context, b Batch) error {
	for site, passes := range grantedPasses(b) {
		byDevice := map[string][]wire.PassUse{}
		for _, id := range passes {
			n, devices, err := in.cfg.Store.PassUses(ctx, site, id)
			if err != nil {
				return fmt.Errorf("ingest: count uses of pass %.40q at %s: %w", id, site, err)
			}
			if n < 1 {
				continue
			}
			for _, d := range devices {
				byDevice[d] = append(byDevice[d], wire.PassUse{ID: id, Count: n})
			}
		}
		for device, uses := range byDevice {
			for chunk := range slices.Chunk(uses, wire.MaxUsesPasses) {
				p, err := json.Marshal(wire.Uses{Site: site, Passes: chunk})
				if err != nil {
					return err
				}
				if err := in.pub.Publish(ctx, wire.Topic(device, wire.LeafUses), p, false); err != nil {
					return fmt.Errorf("ingest: use counts to %s: %w", device, err)
				}
				in.uses.Add(1)
			}
		}
	}
	return nil
}
