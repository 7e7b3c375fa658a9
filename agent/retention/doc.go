// Package retention purges the box's records once they are older than the
// config's retention and the city has them: at start, then daily. The last
// purge's time and counts are kept for the technician's view.
package retention
