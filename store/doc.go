// Package store keeps Tocsin's data in MongoDB through the official driver:
// incidents (implementing incident.Store) and accounts, sessions and tokens
// (implementing access.Store).
//
// There is one storage implementation. When no MongoDB URI is configured,
// Open starts FerretDB in-process (SQLite files in a data directory) and talks
// to it over the same wire protocol, so the code here keeps to what both
// MongoDB and FerretDB v1.24 support: no transactions, no TTL, partial or text
// indexes, no $lookup or $expr, no nested arrays, no dots or dollars in keys.
// Consistency comes from single-document writes: unique indexes decide races
// between inserts (idempotency keys, open dedup keys, usernames), and every
// incident update names the version it replaces.
//
// FerretDB applies a conditional update by reading, changing the document in
// Go and writing it back, so two connections can both "win" the same
// version. Against the embedded server the client therefore has a pool of one
// connection, which FerretDB serves in order; that makes its conditional
// writes atomic. A real MongoDB gets a normal pool.
//
// Each collection has its own document type with bson tags (incidentdoc.go,
// accountdoc.go) and named converters to and from the domain types, which
// carry no tags. Ids are ObjectIDs in _id; the domain sees their hex form.
// Times are stored as UTC dates, which keep milliseconds.
package store
