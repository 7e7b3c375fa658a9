package wire

// Limits of a uses message.
const (
	MaxUsesSize   = 256 << 10
	MaxUsesPasses = 1000
	maxUseCount   = 1<<31 - 1 // a pass's uses claim, as agent/pass bounds it
)

// Uses is what the city publishes on uses: how often passes have let
// someone in at the boxes of a site, all of them together, as counted from
// the entries it stored. A box keeps the larger of its own count and the
// city's, so a message may come late, twice or out of order.
type Uses struct {
	Site   string    `json:"site"`
	Passes []PassUse `json:"passes"`
}

// PassUse is one pass's entries across a site.
type PassUse struct {
	ID    string `json:"id"` // the pass's jti
	Count int    `json:"count"`
}

// DecodeUses decodes a uses message: a valid site id and 1..MaxUsesPasses
// distinct pass ids with counts of at least 1.
func DecodeUses(payload []byte) (Uses, error) {
	var u Uses
	if err := decode("uses", payload, MaxUsesSize, '{', nil, &u); err != nil {
		return Uses{}, err
	}
	switch {
	case !ValidName(u.Site):
		return Uses{}, errorf(ErrInvalid, "uses: site %.70q is not a valid site id", u.Site)
	case len(u.Passes) == 0:
		return Uses{}, errorf(ErrInvalid, "uses: passes missing or empty")
	case len(u.Passes) > MaxUsesPasses:
		return Uses{}, errorf(ErrInvalid, "uses: %d passes, limit %d", len(u.Passes), MaxUsesPasses)
	}
	seen := make(map[string]bool, len(u.Passes))
	for i, p := range u.Passes {
		switch {
		case p.ID == "" || len(p.ID) > MaxPassIDSize:
			return Uses{}, errorf(ErrInvalid, "uses: passes[%d]: id must be 1..%d bytes", i, MaxPassIDSize)
		case seen[p.ID]:
			return Uses{}, errorf(ErrInvalid, "uses: passes[%d]: %.40q listed twice", i, p.ID)
		case p.Count < 1 || p.Count > maxUseCount:
			return Uses{}, errorf(ErrInvalid, "uses: passes[%d]: count %d not in 1..%d", i, p.Count, maxUseCount)
		}
		seen[p.ID] = true
	}
	return u, nil
}
