// Package enrol adds people's faces to the box's store from photos, as
// templates (the photos themselves are never kept): each photo must show
// one face that passes the quality gate and matches no other person, and
// every refusal has a stable reason code. ReadCSV reads the id, name,
// unit, photo lists that roomgate enroll and the city's gallery tools
// take. The package needs OpenCV: it is empty without the vision tag.
package enrol
