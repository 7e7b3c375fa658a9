// Package enrol is the city's enrolment server: RFC 7030 EST as roomgate
// speaks it (provisioning/est), over the city CA (deploy/city/ca). A box
// redeems a one-time claim token for a certificate on the key it made,
// renews that certificate with the certificate itself, and fetches its first
// config.
//
// Claims are kept in the city's directory (claims.json, 0600), with the
// token only as its hash. The first successful enrolment binds a claim to
// the request's public key: the same key may enrol again until the claim
// expires (a box that lost power before writing its certificate retries),
// any other key is refused. Redeeming holds a lock on the file, so two boxes
// racing on one token cannot both win, even across processes.
package enrol
