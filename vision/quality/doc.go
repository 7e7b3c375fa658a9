// Package quality decides whether a detected face is good enough to
// recognise: large enough, sharp, well lit, facing the camera and inside
// the frame. A face that fails is rejected with a reason a technician can
// act on, instead of producing a weak embedding that matches the wrong
// person. Every threshold is a field of Config; none is hidden.
package quality
