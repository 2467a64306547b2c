// Package audit keeps Tocsin's audit trail: who did what, when, from where,
// and what it changed, for every change (incidents, accounts, tokens, the
// roster and the escalation policies), every sign-in and every sensitive
// read (exports, the trail itself).
//
// The trail is append-only and hash-chained. Records are numbered 1, 2, 3 …
// with no gaps; each carries the hash of the one before it (Prev) and its
// own Hash, SHA-256 over a canonical encoding of its fields and Prev. A
// record changed or removed in the store breaks the chain at that point,
// and Verify (tocsin audit verify) names the first broken record.
//
// Records are written by one goroutine per instance (Trail.Run) from a
// queue, so that the chain is written in order without holding up the
// request that caused a record. A record is stored under its number by an
// insert, the one write that is atomic across connections on MongoDB and
// on the embedded FerretDB: when another instance took the number first,
// the writer reads that record, chains onto it and takes the next number.
// A failed write is retried until it succeeds, and logged at error level
// each time; what is still queued when the process stops is logged in full.
package audit
