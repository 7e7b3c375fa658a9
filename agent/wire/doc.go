// Package wire is the MQTT contract between a box and the city (DESIGN.md):
// topic names, the payload of every topic as a Go type, and strict decoders
// for what arrives from the other side.
//
// Every decoder bounds the payload's size before parsing, accepts exactly
// one JSON value of the expected shape, refuses unknown, duplicate and
// differently spelled keys (encoding/json would match "IDS" or "ſpecversion"
// to a field), checks required fields, types and counts, and returns an
// error wrapping one of the exported sentinels. None of them panics on any
// input; the fuzz targets hold them to that.
//
// Beyond DESIGN.md's table, visits (down, QoS 1, retained) carries the chip
// ID card (CCCD) visits the city registered for one box, each with the
// visitor's face template and its model, signed like config and trust
// (agent/citysign); a new list replaces the old whole. The photo a template
// was made from stays in the city.
//
// Size limits, chosen so that the largest valid message fits with room:
//
//	ack                512 KiB  up to 10,000 ids (10,000 UUIDs take 390 KB)
//	config             256 KiB  the box's YAML config
//	trust               16 MiB  up to 100 issuers and 100,000 revoked pass ids of up to 128 bytes
//	cmd                 64 KiB
//	uses               256 KiB  up to 1,000 passes' use counts (1,000 ids of 128 bytes take 150 KB)
//	cmd/result          64 KiB
//	state               64 KiB  up to 256 devices
//	events               1 MiB  a batch of 1..10,000 CloudEvents
//	meetings             8 MiB  up to 1,000 meetings, 5,000 invitees each (the size binds first)
//	visits               8 MiB  up to 5,000 visits, each with a template of up to 4,096 dims (128 dims take 700 bytes in base64)
//	gallery/manifest     1 MiB  up to 10,000 chunks' sha256s (670 KB)
//	gallery/chunk/<i>    8 MiB  people and their templates, base64 (2,000 people of 5 templates of 128 dims)
//
// The package uses the standard library only, so the city side imports it
// without pulling in the box.
package wire
