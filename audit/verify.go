package audit

import (
	"context"
	"errors"
	"fmt"
)

// Why a record breaks the chain.
const (
	BreakHash = "hash mismatch" // the record's fields do not hash to its Hash: it was changed
	BreakPrev = "prev mismatch" // its Prev is not the Hash of the record before: that one was changed or replaced
	BreakGap  = "gap"           // a number is missing: a record was removed
)

// Break is the first place where the chain does not hold.
type Break struct {
	Seq    int64  // the first broken record (for a gap, the first missing number)
	Reason string // BreakHash, BreakPrev or BreakGap
	Detail string
}

func (b *Break) Error() string {
	return fmt.Sprintf("audit record %d: %s: %s", b.Seq, b.Reason, b.Detail)
}

// Report is what Verify found.
type Report struct {
	Records int64  // records read
	Last    int64  // the last number read
	Break   *Break // nil when the chain holds
}

// errStop ends a Scan at the first break.
var errStop = errors.New("stop")

// Verify reads the whole trail in order and checks every link: numbers
// without gaps from 1, each record's hash over its fields, and each Prev
// against the hash of the record before. It stops at the first break. An
// error means the trail could not be read, not that it is broken.
//
// Removing the last records leaves a shorter chain that holds; the number
// of records is in the report, to compare with an earlier one.
func Verify(ctx context.Context, st Store) (Report, error) {
	var (
		rep  Report
		prev string
	)
	err := st.Scan(ctx, 1, func(r Record) error {
		want := rep.Last + 1
		switch {
		case r.Seq != want:
			rep.Break = &Break{Seq: want, Reason: BreakGap, Detail: fmt.Sprintf("records %d to %d are missing", want, r.Seq-1)}
			if r.Seq == want+1 {
				rep.Break.Detail = fmt.Sprintf("record %d is missing", want)
			}
		case r.ComputeHash() != r.Hash:
			rep.Break = &Break{Seq: r.Seq, Reason: BreakHash, Detail: "its fields were changed after it was written"}
		case r.Prev != prev:
			rep.Break = &Break{Seq: r.Seq, Reason: BreakPrev,
				Detail: fmt.Sprintf("it follows a record hashing to %.12s…, not %.12s…: record %d was replaced", prev, r.Prev, r.Seq-1)}
		}
		if rep.Break != nil {
			return errStop
		}
		rep.Records++
		rep.Last, prev = r.Seq, r.Hash
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return rep, fmt.Errorf("verify the audit trail: %w", err)
	}
	return rep, nil
}
