package wire

// Limits of an ack.
const (
	MaxAckSize = 512 << 10
	MaxAckIDs  = 10_000
	MaxIDSize  = 64 // an event id: a UUIDv7 takes 36
)

// Ack is what the city publishes on ack once it has stored events durably.
type Ack struct {
	IDs []string `json:"ids"`
}

// DecodeAck decodes an ack: 1..MaxAckIDs event ids.
func DecodeAck(payload []byte) (Ack, error) {
	var a Ack
	if err := decode("ack", payload, MaxAckSize, '{', nil, &a); err != nil {
		return Ack{}, err
	}
	switch {
	case len(a.IDs) == 0:
		return Ack{}, errorf(ErrInvalid, "ack: ids missing or empty")
	case len(a.IDs) > MaxAckIDs:
		return Ack{}, errorf(ErrInvalid, "ack: %d ids, limit %d", len(a.IDs), MaxAckIDs)
	}
	for i, id := range a.IDs {
		if err := checkID(id); err != nil {
			return Ack{}, errorf(ErrInvalid, "ack: ids[%d]: %v", i, err)
		}
	}
	return a, nil
}
