package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/period"
)

// Quarterly statements. A statement shows one partner's position over a
// calendar quarter in the firm's time zone, per currency and direction:
//
//	opening + earned + clawbacks + adjustments + paid = closing
//
// where earned are accruals (retroactive top-ups included), clawbacks are
// reversals (negative), adjustments are signed and paid are payouts
// (negative; for what the partner owes us, what we received). Each entry
// counts on its accounting date: an accrual or reversal on its client
// payment's date, a top-up or an adjustment on the day it was written
// (firm time zone), a payout on the day it was paid. Entries dated before
// the quarter make the opening balance; the closing balance is computed
// on its own (the sum of everything up to the quarter's end), so a
// statement that does not balance would show.
//
// Alongside: the referrals the partner sent in the quarter (submitted, and
// won), the revenue of its referred clients paid in the quarter, and the
// quarter's entries, each traced to its client payment, rule and agreement
// version.
//
// GenerateStatements stores a snapshot per partner and quarter
// (statements; once) and emails the partner's portal users. The pages
// always show live figures and say when they differ from the snapshot
// that was sent.

// Quarter is a calendar quarter, written "2026-Q3" (period.Quarter).
type Quarter = period.Quarter

// ParseQuarter reads "2026-Q3" (period.ParseQuarter).
func ParseQuarter(s string) (Quarter, error) { return period.ParseQuarter(s) }

// QuarterOf is the quarter of a day (period.QuarterOf).
func QuarterOf(day time.Time) Quarter { return period.QuarterOf(day) }

// ErrFutureQuarter refuses a statement for a quarter that hasn't started.
var ErrFutureQuarter = apperr.Errorf(apperr.EInvalid, "That quarter hasn't started yet: a statement covers a past quarter or the current one, to date.")

// CheckQuarter refuses (ErrFutureQuarter) a quarter starting after today.
func CheckQuarter(q Quarter, today time.Time) error {
	if q.Start().After(day(today)) {
		return ErrFutureQuarter
	}
	return nil
}

// FirmToday is the day it is at now in the firm's time zone.
func FirmToday(ctx context.Context, q db.Querier, tenantID uuid.UUID, now time.Time) (time.Time, error) {
	var d time.Time
	if err := q.QueryRow(ctx, `SELECT ($2::timestamptz AT TIME ZONE
			coalesce((SELECT time_zone FROM tenant_settings WHERE tenant_id = $1), 'UTC'))::date`, tenantID, now).Scan(&d); err != nil {
		return d, apperr.Internal(err)
	}
	return d, nil
}

// StatementAccount is one direction and currency of a statement, signed as
// entries are (a payout lowers the balance): Opening + Earned + Clawbacks +
// Adjustments + Paid = Closing.
type StatementAccount struct {
	Direction       commission.Direction `json:"direction"`
	Currency        string               `json:"currency"`
	OpeningCents    int64                `json:"opening_cents"`
	EarnedCents     int64                `json:"earned_cents"`     // accruals and top-ups
	ClawbackCents   int64                `json:"clawback_cents"`   // reversals (≤ 0)
	AdjustmentCents int64                `json:"adjustment_cents"` // signed
	PaidCents       int64                `json:"paid_cents"`       // payouts (≤ 0)
	ClosingCents    int64                `json:"closing_cents"`
}

// Balances reports whether the account adds up to its closing balance.
func (a StatementAccount) Balances() bool {
	return a.OpeningCents+a.EarnedCents+a.ClawbackCents+a.AdjustmentCents+a.PaidCents == a.ClosingCents
}

// StatementRevenue is the revenue of a quarter in one currency.
type StatementRevenue struct {
	Currency    string `json:"currency"`
	AmountCents int64  `json:"amount_cents"`
}

// StatementReferral is a referral the partner sent, submitted or won in the quarter.
type StatementReferral struct {
	Number      int64      `json:"number"`
	Client      string     `json:"client"`
	SubmittedOn time.Time  `json:"submitted_on"`
	Status      string     `json:"status"`
	WonOn       *time.Time `json:"won_on,omitempty"`
}

// StatementEntry is one entry of the quarter with what it traces to.
type StatementEntry struct {
	ID               uuid.UUID            `json:"id"`
	On               time.Time            `json:"on"` // accounting date
	Kind             string               `json:"kind"`
	Direction        commission.Direction `json:"direction"`
	AmountCents      int64                `json:"amount_cents"`
	Currency         string               `json:"currency"`
	TopUpBP          int64                `json:"top_up_bp,omitempty"`
	ReferralNumber   *int64               `json:"referral_number,omitempty"`
	ClientCompany    *string              `json:"client_company,omitempty"`
	AgreementVersion *int32               `json:"agreement_version,omitempty"`
	Rule             *commission.Rule     `json:"rule,omitempty"`
	PaymentCents     *int64               `json:"payment_cents,omitempty"`
	PaymentOn        *time.Time           `json:"payment_on,omitempty"`
	PaymentRef       *string              `json:"payment_ref,omitempty"`
	DueOn            *time.Time           `json:"due_on,omitempty"`
	Explanation      string               `json:"explanation"`
	Reason           string               `json:"reason,omitempty"`
	// Status is accrued, due or paid (a payout, or an entry in a paid payout).
	Status string `json:"status"`
}

// StatementFigures are a statement's numbers: what is stored as the
// snapshot when it is issued.
type StatementFigures struct {
	Accounts           []StatementAccount  `json:"accounts"`
	ReferralsSubmitted int                 `json:"referrals_submitted"`
	ReferralsWon       int                 `json:"referrals_won"`
	Referrals          []StatementReferral `json:"referrals"`
	Revenue            []StatementRevenue  `json:"revenue"`
	Entries            []StatementEntry    `json:"entries"`
}

// sameMoney reports whether two sets of figures agree on the money: every
// account and the revenue. (Statuses and referral stages move on; a
// revision is about amounts.)
func sameMoney(a, b StatementFigures) bool {
	return slices.Equal(a.Accounts, b.Accounts) && slices.Equal(a.Revenue, b.Revenue)
}

// Issued is a statement's stored snapshot.
type Issued struct {
	ID          uuid.UUID
	GeneratedAt time.Time
	EmailedAt   *time.Time
	Figures     StatementFigures
}

// Statement is a partner's statement for a quarter, with live figures.
type Statement struct {
	PartnerID   uuid.UUID
	PartnerName string
	FirmName    string
	FirmSlug    string
	Quarter     Quarter
	// Today is the firm's day the figures were computed; ToDate is set
	// while the quarter is the current one.
	Today  time.Time
	ToDate bool
	StatementFigures
	// Issued is the snapshot sent (nil: not issued); Revised is set when
	// the live money figures differ from it.
	Issued  *Issued
	Revised bool
}

// Account returns the statement's account in a direction and currency.
func (s Statement) Account(dir commission.Direction, currency string) (StatementAccount, bool) {
	for _, a := range s.Accounts {
		if a.Direction == dir && a.Currency == currency {
			return a, true
		}
	}
	return StatementAccount{}, false
}

// DefaultCurrency is the currency a statement shows when a partner has no entries.
const DefaultCurrency = "USD"

// onDaySQL computes each of the firm's entries' accounting date (on_day),
// optionally of one partner ($2), with the firm's zone.
const onDaySQL = `tz AS (SELECT coalesce((SELECT time_zone FROM tenant_settings WHERE tenant_id = $1), 'UTC') AS zone),
	d AS (
		SELECT je.*, ev.paid_on AS ev_paid_on, ev.amount_cents AS ev_amount, ev.external_ref AS ev_ref,
			CASE WHEN je.kind IN ('accrual', 'reversal') AND je.top_up_bp = 0 AND ev.paid_on IS NOT NULL THEN ev.paid_on
			     WHEN je.kind = 'payout' AND po.paid_on IS NOT NULL THEN po.paid_on
			     ELSE (je.created_at AT TIME ZONE (SELECT zone FROM tz))::date END AS on_day
		FROM journal_entries je
		LEFT JOIN revenue_events ev ON ev.tenant_id = je.tenant_id AND ev.id = je.revenue_event_id
		LEFT JOIN payouts po ON po.tenant_id = je.tenant_id AND po.id = je.payout_id
		WHERE je.tenant_id = $1 AND ($2::uuid IS NULL OR je.partner_id = $2))`

// partnerFigures are the figures of one partner, and whether it had
// anything in the quarter (entries, revenue or referrals).
type partnerFigures struct {
	StatementFigures
	active bool
}

// figures computes the quarter's figures of every partner with something
// up to the quarter's end, or of one (partnerID set, with its entries).
func figures(ctx context.Context, q db.Querier, tenantID uuid.UUID, partnerID *uuid.UUID, qt Quarter, today time.Time) (map[uuid.UUID]*partnerFigures, error) {
	out := map[uuid.UUID]*partnerFigures{}
	get := func(id uuid.UUID) *partnerFigures {
		f := out[id]
		if f == nil {
			f = &partnerFigures{}
			out[id] = f
		}
		return f
	}
	start, end := qt.Start(), qt.End()
	rows, err := q.Query(ctx, `WITH `+onDaySQL+`
		SELECT partner_id, direction, currency,
			coalesce(sum(amount_cents) FILTER (WHERE on_day < $3), 0),
			coalesce(sum(amount_cents) FILTER (WHERE on_day BETWEEN $3 AND $4 AND kind = 'accrual'), 0),
			coalesce(sum(amount_cents) FILTER (WHERE on_day BETWEEN $3 AND $4 AND kind = 'reversal'), 0),
			coalesce(sum(amount_cents) FILTER (WHERE on_day BETWEEN $3 AND $4 AND kind = 'adjustment'), 0),
			coalesce(sum(amount_cents) FILTER (WHERE on_day BETWEEN $3 AND $4 AND kind = 'payout'), 0),
			coalesce(sum(amount_cents) FILTER (WHERE on_day <= $4), 0),
			count(*) FILTER (WHERE on_day BETWEEN $3 AND $4)
		FROM d GROUP BY partner_id, direction, currency
		HAVING count(*) FILTER (WHERE on_day <= $4) > 0
		ORDER BY partner_id, direction, currency`, tenantID, partnerID, start, end)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	for rows.Next() {
		var id uuid.UUID
		var a StatementAccount
		var dir string
		var n int
		if err := rows.Scan(&id, &dir, &a.Currency, &a.OpeningCents, &a.EarnedCents, &a.ClawbackCents, &a.AdjustmentCents,
			&a.PaidCents, &a.ClosingCents, &n); err != nil {
			rows.Close()
			return nil, apperr.Internal(err)
		}
		a.Direction = commission.Direction(dir)
		f := get(id)
		f.Accounts = append(f.Accounts, a)
		if n > 0 || a.ClosingCents != 0 {
			f.active = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}

	rows, err = q.Query(ctx, `SELECT partner_id, currency, sum(amount_cents) FROM revenue_events
		WHERE tenant_id = $1 AND ($2::uuid IS NULL OR partner_id = $2) AND paid_on BETWEEN $3 AND $4
		GROUP BY partner_id, currency ORDER BY partner_id, currency`, tenantID, partnerID, start, end)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	for rows.Next() {
		var id uuid.UUID
		var c StatementRevenue
		if err := rows.Scan(&id, &c.Currency, &c.AmountCents); err != nil {
			rows.Close()
			return nil, apperr.Internal(err)
		}
		f := get(id)
		f.Revenue = append(f.Revenue, c)
		f.active = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}

	rows, err = q.Query(ctx, `WITH tz AS (SELECT coalesce((SELECT time_zone FROM tenant_settings WHERE tenant_id = $1), 'UTC') AS zone),
		r AS (SELECT coalesce(r.credited_partner_id, r.partner_id) AS pid, r.number, r.client_company, r.status,
				(r.submitted_at AT TIME ZONE (SELECT zone FROM tz))::date AS submitted_on,
				CASE WHEN r.status = 'won' THEN (r.closed_at AT TIME ZONE (SELECT zone FROM tz))::date END AS won_on
			FROM referrals r WHERE r.tenant_id = $1 AND r.direction = 'inbound'
				AND ($2::uuid IS NULL OR coalesce(r.credited_partner_id, r.partner_id) = $2))
		SELECT pid, number, client_company, status, submitted_on, won_on FROM r
		WHERE submitted_on BETWEEN $3 AND $4 OR won_on BETWEEN $3 AND $4
		ORDER BY pid, submitted_on, number`, tenantID, partnerID, start, end)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	for rows.Next() {
		var id uuid.UUID
		var r StatementReferral
		if err := rows.Scan(&id, &r.Number, &r.Client, &r.Status, &r.SubmittedOn, &r.WonOn); err != nil {
			rows.Close()
			return nil, apperr.Internal(err)
		}
		f := get(id)
		f.Referrals = append(f.Referrals, r)
		if !r.SubmittedOn.Before(start) && !r.SubmittedOn.After(end) {
			f.ReferralsSubmitted++
		}
		if r.WonOn != nil && !r.WonOn.Before(start) && !r.WonOn.After(end) {
			f.ReferralsWon++
		}
		f.active = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}

	if partnerID != nil {
		f := get(*partnerID)
		if f.Entries, err = periodEntries(ctx, q, tenantID, *partnerID, qt, today); err != nil {
			return nil, err
		}
	}
	for _, f := range out {
		f.Accounts = withDefaultAccount(f.Accounts)
	}
	return out, nil
}

// withDefaultAccount makes sure a statement shows what we owe the partner:
// a zero account in DefaultCurrency when it has no we_pay entries at all.
func withDefaultAccount(as []StatementAccount) []StatementAccount {
	for _, a := range as {
		if a.Direction == commission.WePay {
			return as
		}
	}
	return append([]StatementAccount{{Direction: commission.WePay, Currency: DefaultCurrency}}, as...)
}

// periodEntries lists the partner's entries dated in the quarter, by date.
func periodEntries(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, qt Quarter, today time.Time) ([]StatementEntry, error) {
	rows, err := q.Query(ctx, `WITH `+onDaySQL+`
		SELECT d.id, d.on_day, d.kind, d.direction, d.amount_cents, d.currency, d.top_up_bp, r.number, r.client_company,
			a.version, d.rule, d.ev_amount, d.ev_paid_on, d.ev_ref, d.due_on, d.explanation, d.reason,
			EXISTS (SELECT 1 FROM payout_items pi JOIN payouts p ON p.tenant_id = pi.tenant_id AND p.id = pi.payout_id
				WHERE pi.tenant_id = $1 AND pi.entry_id = d.id AND p.status = 'paid')
		FROM d
		LEFT JOIN referrals r ON r.tenant_id = d.tenant_id AND r.id = d.referral_id
		LEFT JOIN agreements a ON a.tenant_id = d.tenant_id AND a.id = d.agreement_id
		WHERE d.on_day BETWEEN $3 AND $4
		ORDER BY d.on_day, d.created_at, d.ev_paid_on, d.rule_index, d.id`, tenantID, partnerID, qt.Start(), qt.End())
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	var out []StatementEntry
	for rows.Next() {
		var e StatementEntry
		var dir string
		var paid bool
		if err := rows.Scan(&e.ID, &e.On, &e.Kind, &dir, &e.AmountCents, &e.Currency, &e.TopUpBP, &e.ReferralNumber,
			&e.ClientCompany, &e.AgreementVersion, &e.Rule, &e.PaymentCents, &e.PaymentOn, &e.PaymentRef, &e.DueOn,
			&e.Explanation, &e.Reason, &paid); err != nil {
			return nil, apperr.Internal(err)
		}
		e.Direction = commission.Direction(dir)
		e.Status = EntryStatus(e.Kind, e.DueOn, today)
		if paid {
			e.Status = EntryPaid
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}

// issued loads the stored snapshots of the quarter (of one partner, or all).
func issued(ctx context.Context, q db.Querier, tenantID uuid.UUID, partnerID *uuid.UUID, qt Quarter) (map[uuid.UUID]*Issued, error) {
	rows, err := q.Query(ctx, `SELECT partner_id, id, figures, generated_at, emailed_at FROM statements
		WHERE tenant_id = $1 AND ($2::uuid IS NULL OR partner_id = $2) AND period_start = $3`, tenantID, partnerID, qt.Start())
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	out := map[uuid.UUID]*Issued{}
	for rows.Next() {
		var id uuid.UUID
		var is Issued
		var raw []byte
		if err := rows.Scan(&id, &is.ID, &raw, &is.GeneratedAt, &is.EmailedAt); err != nil {
			return nil, apperr.Internal(err)
		}
		if err := json.Unmarshal(raw, &is.Figures); err != nil {
			return nil, apperr.Internal(fmt.Errorf("ledger: statement %s: %w", is.ID, err))
		}
		out[id] = &is
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}

// firmNames returns the firm's name and slug.
func firmNames(ctx context.Context, q db.Querier, tenantID uuid.UUID) (name, slug string, err error) {
	err = q.QueryRow(ctx, `SELECT name, slug FROM tenants WHERE id = $1`, tenantID).Scan(&name, &slug)
	if err != nil {
		return "", "", apperr.Internal(err)
	}
	return name, slug, nil
}

// PartnerStatement returns the partner's statement for the quarter with
// live figures, as of now in the firm's time zone. It fails with
// ENotFound when the partner is not the firm's (or not the portal's
// partner: run it in the partner's scope) and ErrFutureQuarter for a
// quarter that hasn't started.
func PartnerStatement(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, qt Quarter, now time.Time) (Statement, error) {
	today, err := FirmToday(ctx, q, tenantID, now)
	if err != nil {
		return Statement{}, err
	}
	if err := CheckQuarter(qt, today); err != nil {
		return Statement{}, err
	}
	st := Statement{PartnerID: partnerID, Quarter: qt, Today: today, ToDate: !qt.End().Before(today)}
	if err := q.QueryRow(ctx, `SELECT name FROM partners WHERE tenant_id = $1 AND id = $2
		AND (app_partner_id() IS NULL OR id = app_partner_id())`, tenantID, partnerID).Scan(&st.PartnerName); err != nil {
		if db.IsNoRows(err) {
			return Statement{}, apperr.NotFound("Partner")
		}
		return Statement{}, apperr.Internal(err)
	}
	if st.FirmName, st.FirmSlug, err = firmNames(ctx, q, tenantID); err != nil {
		return Statement{}, err
	}
	fs, err := figures(ctx, q, tenantID, &partnerID, qt, today)
	if err != nil {
		return Statement{}, err
	}
	st.StatementFigures = fs[partnerID].StatementFigures
	is, err := issued(ctx, q, tenantID, &partnerID, qt)
	if err != nil {
		return Statement{}, err
	}
	if i := is[partnerID]; i != nil {
		st.Issued = i
		st.Revised = !sameMoney(st.StatementFigures, i.Figures)
	}
	return st, nil
}

// StatementSummary is one partner's line on the firm's statements page.
type StatementSummary struct {
	PartnerID   uuid.UUID
	PartnerName string
	Accounts    []StatementAccount
	Issued      *Issued // with Figures; nil: not issued
	Revised     bool
}

// QuarterStatements lists, by partner name, every partner with a
// statement for the quarter: those issued, and those that would be
// generated (an entry, revenue or a referral in the quarter, or a non-zero
// closing balance), with live figures. ErrFutureQuarter for a quarter that
// hasn't started.
func QuarterStatements(ctx context.Context, q db.Querier, tenantID uuid.UUID, qt Quarter, now time.Time) ([]StatementSummary, error) {
	today, err := FirmToday(ctx, q, tenantID, now)
	if err != nil {
		return nil, err
	}
	if err := CheckQuarter(qt, today); err != nil {
		return nil, err
	}
	return quarterSummaries(ctx, q, tenantID, qt, today)
}

func quarterSummaries(ctx context.Context, q db.Querier, tenantID uuid.UUID, qt Quarter, today time.Time) ([]StatementSummary, error) {
	fs, err := figures(ctx, q, tenantID, nil, qt, today)
	if err != nil {
		return nil, err
	}
	is, err := issued(ctx, q, tenantID, nil, qt)
	if err != nil {
		return nil, err
	}
	var ids []uuid.UUID
	for id, f := range fs {
		if f.active || is[id] != nil {
			ids = append(ids, id)
		}
	}
	for id := range is {
		if fs[id] == nil {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := q.Query(ctx, `SELECT id, name FROM partners WHERE tenant_id = $1 AND id = ANY($2)
		ORDER BY lower(name), id`, tenantID, ids)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	var out []StatementSummary
	for rows.Next() {
		var s StatementSummary
		if err := rows.Scan(&s.PartnerID, &s.PartnerName); err != nil {
			return nil, apperr.Internal(err)
		}
		f := fs[s.PartnerID]
		if f == nil {
			f = &partnerFigures{StatementFigures: StatementFigures{Accounts: withDefaultAccount(nil)}}
		}
		s.Accounts = f.Accounts
		if i := is[s.PartnerID]; i != nil {
			s.Issued = i
			s.Revised = !sameMoney(f.StatementFigures, i.Figures)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}

// QuarterInfo is one quarter of a partner's statements list.
type QuarterInfo struct {
	Quarter     Quarter
	ToDate      bool
	GeneratedAt *time.Time
	EmailedAt   *time.Time
}

// PartnerQuarters lists, newest first, the quarters up to the current one
// in which the partner had an entry, revenue or a referral, or a statement
// was issued; the current quarter is listed too once there is anything at
// all. ENotFound when the partner is not the firm's.
func PartnerQuarters(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, now time.Time) ([]QuarterInfo, error) {
	today, err := FirmToday(ctx, q, tenantID, now)
	if err != nil {
		return nil, err
	}
	if err := partnerExists(ctx, q, tenantID, partnerID); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `WITH `+onDaySQL+`
		SELECT DISTINCT on_day FROM (
			SELECT on_day FROM d
			UNION ALL SELECT paid_on FROM revenue_events WHERE tenant_id = $1 AND partner_id = $2
			UNION ALL SELECT (submitted_at AT TIME ZONE (SELECT zone FROM tz))::date FROM referrals
				WHERE tenant_id = $1 AND direction = 'inbound' AND coalesce(credited_partner_id, partner_id) = $2
			UNION ALL SELECT (closed_at AT TIME ZONE (SELECT zone FROM tz))::date FROM referrals
				WHERE tenant_id = $1 AND direction = 'inbound' AND status = 'won' AND coalesce(credited_partner_id, partner_id) = $2
			UNION ALL SELECT period_start FROM statements WHERE tenant_id = $1 AND partner_id = $2) days
		WHERE on_day IS NOT NULL`, tenantID, partnerID)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	days, err := pgx.CollectRows(rows, pgx.RowTo[time.Time])
	if err != nil {
		return nil, apperr.Internal(err)
	}
	current := QuarterOf(today)
	seen := map[Quarter]bool{}
	for _, d := range days {
		if qt := QuarterOf(d); !current.Before(qt) {
			seen[qt] = true
		}
	}
	if len(seen) > 0 {
		seen[current] = true
	}
	qs := make([]Quarter, 0, len(seen))
	for qt := range seen {
		qs = append(qs, qt)
	}
	slices.SortFunc(qs, func(a, b Quarter) int {
		if b.Before(a) {
			return -1
		}
		if a.Before(b) {
			return 1
		}
		return 0
	})
	stored := map[time.Time]Issued{}
	srows, err := q.Query(ctx, `SELECT period_start, generated_at, emailed_at FROM statements
		WHERE tenant_id = $1 AND partner_id = $2`, tenantID, partnerID)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	for srows.Next() {
		var start time.Time
		var i Issued
		if err := srows.Scan(&start, &i.GeneratedAt, &i.EmailedAt); err != nil {
			srows.Close()
			return nil, apperr.Internal(err)
		}
		stored[start] = i
	}
	srows.Close()
	if err := srows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	out := make([]QuarterInfo, 0, len(qs))
	for _, qt := range qs {
		info := QuarterInfo{Quarter: qt, ToDate: qt == current}
		if i, ok := stored[qt.Start()]; ok {
			info.GeneratedAt, info.EmailedAt = &i.GeneratedAt, i.EmailedAt
		}
		out = append(out, info)
	}
	return out, nil
}

// StatementFileName is a safe download name:
// "northwind-advisory_brightline-tax_2026-Q3_statement.pdf".
func StatementFileName(firmName, partnerName string, qt Quarter, ext string) string {
	return fileSlug(firmName, "firm") + "_" + fileSlug(partnerName, "partner") + "_" + qt.String() + "_statement." + ext
}

// slugFold spells the accented Latin letters of names in plain ones.
var slugFold = strings.NewReplacer(
	"ä", "a", "á", "a", "à", "a", "â", "a", "ã", "a", "å", "a", "æ", "ae", "Ä", "A", "Á", "A", "À", "A", "Â", "A", "Ã", "A", "Å", "A", "Æ", "AE",
	"ç", "c", "Ç", "C", "é", "e", "è", "e", "ê", "e", "ë", "e", "É", "E", "È", "E", "Ê", "E", "Ë", "E",
	"í", "i", "ì", "i", "î", "i", "ï", "i", "Í", "I", "Ì", "I", "Î", "I", "Ï", "I", "ñ", "n", "Ñ", "N",
	"ó", "o", "ò", "o", "ô", "o", "õ", "o", "ö", "o", "ø", "o", "œ", "oe", "Ó", "O", "Ò", "O", "Ô", "O", "Õ", "O", "Ö", "O", "Ø", "O", "Œ", "OE",
	"ú", "u", "ù", "u", "û", "u", "ü", "u", "Ú", "U", "Ù", "U", "Û", "U", "Ü", "U", "ý", "y", "ÿ", "y", "Ý", "Y", "ß", "ss")

// fileSlug keeps ASCII letters and digits, lower-cased, with single
// hyphens between words.
func fileSlug(s, fallback string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(slugFold.Replace(s)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == "" {
		return fallback
	}
	return out
}
