package ledger

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/db"
)

// entryBatch collects entries and their lines as column arrays, written
// with one INSERT … SELECT FROM unnest per table.
type entryBatch struct {
	ids          []uuid.UUID
	kinds        []string
	partners     []uuid.UUID
	referrals    []*uuid.UUID
	engagements  []*uuid.UUID
	events       []*uuid.UUID
	agreements   []*uuid.UUID
	ruleIdx      []*int32
	rules        []*string
	directions   []string
	amounts      []int64
	currencies   []string
	rates        []*int64
	dues         []*time.Time
	explanations []string
	reasons      []string
	createdBy    []*uuid.UUID
	topUps       []int64
	payouts      []*uuid.UUID
	lines        map[uuid.UUID][]Line // as the database computes them (for the caller)
}

func (b *entryBatch) add(e Entry, ruleJSON string) {
	b.ids = append(b.ids, e.ID)
	b.kinds = append(b.kinds, e.Kind)
	b.partners = append(b.partners, e.PartnerID)
	b.referrals = append(b.referrals, e.ReferralID)
	b.engagements = append(b.engagements, e.EngagementID)
	b.events = append(b.events, e.RevenueEventID)
	b.agreements = append(b.agreements, e.AgreementID)
	b.ruleIdx = append(b.ruleIdx, e.RuleIndex)
	var rj *string
	if ruleJSON != "" {
		rj = &ruleJSON
	}
	b.rules = append(b.rules, rj)
	b.directions = append(b.directions, string(e.Direction))
	b.amounts = append(b.amounts, e.AmountCents)
	b.currencies = append(b.currencies, e.Currency)
	b.rates = append(b.rates, e.RateBP)
	b.dues = append(b.dues, e.DueOn)
	b.explanations = append(b.explanations, e.Explanation)
	b.reasons = append(b.reasons, e.Reason)
	b.createdBy = append(b.createdBy, e.CreatedBy)
	b.topUps = append(b.topUps, e.TopUpBP)
	b.payouts = append(b.payouts, e.PayoutID)
	if b.lines == nil {
		b.lines = map[uuid.UUID][]Line{}
	}
	b.lines[e.ID] = linesFor(e.Kind, e.Direction, e.PartnerID, e.AmountCents, e.Currency)
}

// insert writes the entries (an accrual or reversal already recorded for
// the same revenue event and rule is skipped) and, in the same statement,
// the two lines of each entry written (see linesFor; computed by the
// database from the entry); it returns how many entries were written. The
// arrays go as pgtype values: pgx encodes those directly, where google/uuid
// values and pointers take a slow fallback (a fifth of the accrual's CPU at
// 100,000 events).
func (b *entryBatch) insert(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) (int, error) {
	if len(b.ids) == 0 {
		return 0, nil
	}
	rates := make([]pgtype.Int8, len(b.rates))
	for i, r := range b.rates {
		if r != nil {
			rates[i] = pgtype.Int8{Int64: *r, Valid: true}
		}
	}
	idx := make([]pgtype.Int4, len(b.ruleIdx))
	for i, r := range b.ruleIdx {
		if r != nil {
			idx[i] = pgtype.Int4{Int32: *r, Valid: true}
		}
	}
	dues := make([]pgtype.Date, len(b.dues))
	for i, d := range b.dues {
		if d != nil {
			dues[i] = pgtype.Date{Time: *d, Valid: true}
		}
	}
	rules := make([]pgtype.Text, len(b.rules))
	for i, r := range b.rules {
		if r != nil {
			rules[i] = pgtype.Text{String: *r, Valid: true}
		}
	}
	var n int
	err := tx.QueryRow(ctx, `WITH e AS (
		INSERT INTO journal_entries (tenant_id, id, kind, partner_id, referral_id, engagement_id,
			revenue_event_id, agreement_id, rule_index, rule, direction, amount_cents, currency, rate_bp, due_on,
			explanation, reason, created_by, top_up_bp, payout_id, lines_in_statement)
		SELECT $1, *, true FROM unnest($2::uuid[], $3::text[], $4::uuid[], $5::uuid[], $6::uuid[], $7::uuid[], $8::uuid[],
			$9::int[], $10::text[]::jsonb[], $11::text[], $12::bigint[], $13::text[], $14::bigint[], $15::date[], $16::text[],
			$17::text[], $18::uuid[], $19::bigint[], $20::uuid[])
		ON CONFLICT (tenant_id, revenue_event_id, rule_index, kind, top_up_bp) DO NOTHING
		RETURNING tenant_id, id, kind, partner_id, direction, amount_cents, currency),
	l AS (
		INSERT INTO journal_lines (tenant_id, entry_id, line_no, account, partner_id, amount_cents, currency)
		SELECT e.tenant_id, e.id, k.line_no,
			CASE WHEN k.line_no = 1 THEN CASE e.direction WHEN 'we_pay' THEN 'partner_payable' ELSE 'partner_receivable' END
			     WHEN e.kind = 'payout' THEN 'cash'
			     WHEN e.direction = 'we_pay' THEN 'commission_expense' ELSE 'commission_income' END,
			CASE WHEN k.line_no = 1 THEN e.partner_id END,
			CASE WHEN (k.line_no = 1) = (e.direction = 'we_pay') THEN -e.amount_cents ELSE e.amount_cents END,
			e.currency
		FROM e CROSS JOIN (VALUES (1::smallint), (2::smallint)) AS k(line_no))
	SELECT count(*) FROM e`,
		tenantID, pgUUIDs(b.ids), b.kinds, pgUUIDs(b.partners), pgUUIDPtrs(b.referrals), pgUUIDPtrs(b.engagements),
		pgUUIDPtrs(b.events), pgUUIDPtrs(b.agreements), idx, rules, b.directions, b.amounts, b.currencies, rates, dues,
		b.explanations, b.reasons, pgUUIDPtrs(b.createdBy), b.topUps, pgUUIDPtrs(b.payouts)).Scan(&n)
	if err != nil {
		return 0, apperr.Internal(err)
	}
	return n, nil
}

// newEntryID returns a time-ordered (version 7) id for a new entry: the
// entries a batch writes are neighbours in the keys of journal_entries and
// journal_lines, so writing them fills a few index pages at the right edge
// instead of dirtying one random page each.
func newEntryID() uuid.UUID {
	return uuid.Must(uuid.NewV7())
}

func pgUUIDs(ids []uuid.UUID) []pgtype.UUID {
	out := make([]pgtype.UUID, len(ids))
	for i, id := range ids {
		out[i] = pgtype.UUID{Bytes: id, Valid: true}
	}
	return out
}

func pgUUIDPtrs(ids []*uuid.UUID) []pgtype.UUID {
	out := make([]pgtype.UUID, len(ids))
	for i, id := range ids {
		if id != nil {
			out[i] = pgtype.UUID{Bytes: *id, Valid: true}
		}
	}
	return out
}

const entryCols = `je.id, je.kind, je.partner_id, je.referral_id, je.engagement_id, je.revenue_event_id, je.agreement_id,
	je.rule_index, je.rule, je.direction, je.amount_cents, je.currency, je.rate_bp, je.due_on, je.explanation, je.reason,
	je.created_by, je.created_at, je.top_up_bp, je.payout_id`

func scanEntry(row pgx.Row) (Entry, error) {
	var e Entry
	var dir string
	err := row.Scan(&e.ID, &e.Kind, &e.PartnerID, &e.ReferralID, &e.EngagementID, &e.RevenueEventID, &e.AgreementID,
		&e.RuleIndex, &e.Rule, &dir, &e.AmountCents, &e.Currency, &e.RateBP, &e.DueOn, &e.Explanation, &e.Reason,
		&e.CreatedBy, &e.CreatedAt, &e.TopUpBP, &e.PayoutID)
	e.Direction = commission.Direction(dir)
	return e, err
}

// Entries returns the partner's entries with their lines, oldest first
// (within one accrual run, in payment order then rule order).
func Entries(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) ([]Entry, error) {
	rows, err := q.Query(ctx, `SELECT `+entryCols+` FROM journal_entries je
		LEFT JOIN revenue_events ev ON ev.tenant_id = je.tenant_id AND ev.id = je.revenue_event_id
		WHERE je.tenant_id = $1 AND je.partner_id = $2
		ORDER BY je.created_at, ev.paid_on, ev.created_at, ev.id, je.rule_index, je.id`, tenantID, partnerID)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	var out []Entry
	idx := map[uuid.UUID]int{}
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			rows.Close()
			return nil, apperr.Internal(err)
		}
		idx[e.ID] = len(out)
		out = append(out, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	rows, err = q.Query(ctx, `SELECT l.entry_id, l.line_no, l.account, l.partner_id, l.amount_cents, l.currency
		FROM journal_lines l JOIN journal_entries je ON je.tenant_id = l.tenant_id AND je.id = l.entry_id
		WHERE l.tenant_id = $1 AND je.partner_id = $2 ORDER BY l.entry_id, l.line_no`, tenantID, partnerID)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var l Line
		if err := rows.Scan(&id, &l.LineNo, &l.Account, &l.PartnerID, &l.AmountCents, &l.Currency); err != nil {
			return nil, apperr.Internal(err)
		}
		if i, ok := idx[id]; ok {
			out[i].Lines = append(out[i].Lines, l)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}
