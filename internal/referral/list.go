package referral

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/db"
)

// The referral list's reads. A firm with years of history has tens of
// thousands of referrals, and every row read under Row-Level Security pays
// for the policies' checks, so a page reads only its own rows (through the
// (tenant_id, submitted_at) index for the default order) and counts never
// join the tables only the page shows.

// countFrom is the FROM clause of a count over f: the referrals, with the
// partner only when the search reads its name and the firm's settings only
// when "at risk" reads the reminder hours. It counts what referralFrom
// would: a referral's partner and prospect always exist and are visible
// wherever the referral is.
func (f Filter) countFrom() string {
	from := ` FROM referrals r`
	if f.Q != "" {
		from += ` JOIN partners p ON p.tenant_id = r.tenant_id AND p.id = r.partner_id`
	}
	if f.AtRisk {
		from += ` LEFT JOIN tenant_settings ts ON ts.tenant_id = r.tenant_id`
	}
	return from
}

// order is the ORDER BY of f.Sort.
func (f Filter) order() string {
	switch f.Sort {
	case "due":
		return nextDueSQL + " ASC NULLS LAST, r.submitted_at, r.id"
	case "value":
		return "r.estimated_value_cents DESC NULLS LAST, r.submitted_at DESC, r.id"
	case "company":
		return "lower(r.client_company), r.submitted_at DESC, r.id"
	}
	return "r.submitted_at DESC, r.id DESC"
}

// page normalises the limit (0 means 50; at most 500) and the offset.
func (f Filter) page() Filter {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 500)
	f.Offset = max(f.Offset, 0)
	return f
}

// listRows reads up to limit referrals matching f from its offset: the
// page's ids first, from the referrals alone, then the columns shown for
// those (GetMany). Under Row-Level Security the planner estimates a
// firm's referrals at a handful (the partner policy's check is guessed to
// keep 0.5% of rows), so given the whole join at once it joins every
// referral of the firm before sorting (8 s at 80,000); the ids alone are
// read through the (tenant_id, submitted_at) index (0.1 ms). The ids query
// is planned for its arguments each time (QueryExecModeExec): a cached
// generic plan guesses the average firm and collects all of a large
// firm's referrals in a bitmap instead (0.2–1 s at 80,000).
func listRows(ctx context.Context, q db.Querier, tenantID uuid.UUID, f Filter, limit int, now time.Time) ([]Referral, error) {
	where, args := f.where(now, true)
	rows, err := q.Query(ctx, `SELECT r.id`+f.countFrom()+` WHERE `+where+` ORDER BY `+f.order()+
		fmt.Sprintf(` LIMIT %d OFFSET %d`, limit, f.Offset), append([]any{pgx.QueryExecModeExec, tenantID}, args...)...)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, err
	}
	return GetMany(ctx, q, tenantID, ids)
}

// List returns one page of the referrals matching f and how many match in
// all. now is the time "at risk" is judged at. The total costs a count of
// every match (one index scan of the firm's referrals when f filters
// little), except when the page is the last: lists that don't need an exact
// total use ListPage and CountByStatusUpTo.
func List(ctx context.Context, q db.Querier, tenantID uuid.UUID, f Filter, now time.Time) ([]Referral, int, error) {
	f = f.page()
	out, err := listRows(ctx, q, tenantID, f, f.Limit, now)
	if err != nil {
		return nil, 0, err
	}
	if (len(out) > 0 || f.Offset == 0) && len(out) < f.Limit {
		return out, f.Offset + len(out), nil // the last page: no need to count
	}
	where, args := f.where(now, true)
	total := 0
	err = q.QueryRow(ctx, `SELECT count(*)`+f.countFrom()+` WHERE `+where,
		append([]any{pgx.QueryExecModeExec, tenantID}, args...)...).Scan(&total)
	return out, total, err
}

// ListPage returns one page of the referrals matching f and whether more
// follow it, without counting them all.
func ListPage(ctx context.Context, q db.Querier, tenantID uuid.UUID, f Filter, now time.Time) ([]Referral, bool, error) {
	f = f.page()
	out, err := listRows(ctx, q, tenantID, f, f.Limit+1, now)
	if err != nil {
		return nil, false, err
	}
	if len(out) > f.Limit {
		return out[:f.Limit], true, nil
	}
	return out, false, nil
}

// CountByStatusUpTo is CountByStatus counting each status only up to
// upTo+1: a count above upTo means "more than upTo". It reads at most
// (upTo+1) × 8 referrals however long the firm's history, where an exact
// count reads every one. Call it in a transaction: for its one statement
// it turns bitmap scans off (SET LOCAL, then RESET), because with the
// policy's estimate (see listRows) the planner would rather collect every
// referral of the status in a bitmap (10,000s) than walk the status index
// and stop at the bound (20× slower at 1M referrals).
func CountByStatusUpTo(ctx context.Context, q db.Querier, tenantID uuid.UUID, f Filter, upTo int) (map[string]int, error) {
	where, args := f.where(time.Now(), false)
	all := append([]any{tenantID}, args...)
	all = append(all, Statuses)
	sql := `SELECT s.status, (SELECT count(*) FROM (SELECT 1` + f.countFrom() + ` WHERE ` + where +
		` AND r.status = s.status LIMIT ` + strconv.Itoa(upTo+1) + `) m)
		FROM unnest($` + strconv.Itoa(len(all)) + `::text[]) AS s (status)`
	if _, err := q.Exec(ctx, `SET LOCAL enable_bitmapscan = off`); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, sql, append([]any{pgx.QueryExecModeExec}, all...)...)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(Statuses))
	var s string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&s, &n}, func() error {
		out[s] = n
		return nil
	}); err != nil {
		return nil, err
	}
	if _, err := q.Exec(ctx, `RESET enable_bitmapscan`); err != nil {
		return nil, err
	}
	return out, nil
}
