// Package citysign signs and checks what the city sends a box on config,
// trust, visits and cmd: a compact JWS signed with EdDSA (the passes' format,
// verified by agent/pass) whose payload is the topic's JSON with the device
// it is for (dev) and when it was signed (iat). A box pins the city's public
// key in its config and refuses what is unsigned, signed by another key or
// signed for another box, so neither the broker nor a holder of a broker
// certificate can steer it. Only the standard library, agent/pass and
// agent/wire are used: the city side imports it too.
package citysign
