// Package doctor is the technician's self-test of a box (`roomgate doctor`,
// the kiosk's technician button, the city's self_test command): small
// independent checks over small interfaces, each giving ok, warning or
// failure with a remedy in plain Vietnamese and English. The agent wires the
// devices it holds into the checks; tests wire fakes. Nothing here logs or
// keeps personal data: a test scan is reported by its length only.
package doctor
