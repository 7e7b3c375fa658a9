// Package recognition keeps what the face engine saw for people to look
// at: the recent recognitions the technician's view lists, and the
// camera's latest frame with the names of the faces in it for the kiosk's
// preview.
package recognition
