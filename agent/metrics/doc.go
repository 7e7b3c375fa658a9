// Package metrics is the box's Prometheus endpoint for the city's
// monitoring. It is the only package of the agent that imports
// client_golang: the features say what happened through small hooks
// (gate.Observer, a recognition's outcome, the call state) or are read at
// each scrape (the link's status, the store's size), and this package
// turns that into metrics.
//
// Every label value comes from a fixed set of codes (a denial's reason, a
// face decision's outcome, a call state); anything else counts as
// "other". Nothing here ever sees a name, a pass or a person's id, so no
// scrape can carry one.
package metrics
