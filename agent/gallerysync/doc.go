// Package gallerysync receives the city's gallery of faces: its chunks are
// staged in the store as they come (before their manifest too, as retained
// messages arrive in any order), checked against the manifest, and the
// whole gallery is checked again and swapped in once every chunk is
// there. It also forgets a person the city deleted from what it staged.
package gallerysync
