package db

import "context"

// XactLock takes the transaction-level advisory lock named key (waiting for
// it): held until the transaction ends. Keys name what they guard, e.g.
// "payouts:<firm id>"; the lock id is hashtextextended(key, 0).
func XactLock(ctx context.Context, q Querier, key string) error {
	_, err := q.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, key)
	return err
}

// TryXactLock takes the transaction-level advisory lock named key if it is
// free, reporting whether it did; it never waits.
func TryXactLock(ctx context.Context, q Querier, key string) (bool, error) {
	var got bool
	err := q.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))`, key).Scan(&got)
	return got, err
}
