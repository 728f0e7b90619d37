// Package embedded is everything Gin Shop does because of FerretDB, the database it starts inside
// its own process when MONGODB_URI is empty: starting the server (Start), the SQLite index that
// makes lookups by _id fast (Server.IndexIDs), and the reason why only one instance may write to
// it (AtomicUpdates). The rest of the shop talks to any server through the official driver as if
// it were MongoDB, and asks package database one question: are updates atomic across
// connections?
//
// Build with -tags noembedded to leave FerretDB and SQLite out of the binary (see
// docs/OPERATIONS.md); such a binary needs MONGODB_URI.
package embedded

import "go.mongodb.org/mongo-driver/v2/bson"

// AtomicUpdates reports whether the server that answered buildInfo with info applies each update
// atomically, whoever sends it.
//
// MongoDB does. FerretDB v1 does not: it applies an update as "read the document, change it in
// Go, write it back", so two connections updating one document at the same moment both read the
// old version and the second write drops the first one's change (two "add to cart" clicks keep
// one item). Within one process package database sends every write through a single
// connection, which makes them atomic again; a second process would have a connection of its
// own, so on such a server at most one instance may write (database.DB takes a writer lease).
// FerretDB says what it is with a ferretdbVersion field in buildInfo, embedded or external.
func AtomicUpdates(info bson.M) bool {
	_, ferret := info["ferretdbVersion"]
	return !ferret
}
