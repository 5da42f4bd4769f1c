package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/db"
)

// Accrual.
//
// A pending revenue event is accrued under the agreement version in force
// for its referral: the referral's own agreement_id (the version in force
// when it was submitted) when it belongs to the credited partner, else the
// credited partner's version in force on the submission day (firm time
// zone). Each rule of that version is applied with commission.Compute and
// a non-zero result becomes one entry — an accrual (> 0) or a reversal
// (< 0, a refund, never more than was earned) — with its two lines. The
// entry is unique per (revenue event, rule index, kind) and inserted with
// ON CONFLICT DO NOTHING, and the event's status leaves 'pending' in the
// same transaction, so accruing again adds nothing. An event with no
// agreement in force is marked 'no_agreement' and accrues nothing; one
// whose rules earn nothing is marked 'nothing_due' with the reasons.
//
// Events are accrued in payment order (paid_on, created_at, id), each
// batch in one transaction: a refund sees what its payment earned. The
// facts come from SQL: whether the engagement is the referral's first (and
// when that one started), whether the client is active (client active and
// engagement not ended before the payment), the referral's position among
// the partner's won referrals of the rule's period, and the partner's
// conversion (won / decided referrals submitted in the rule's window).
//
// tiered_volume in retroactive mode: a payment accrues at the tier the
// partner has reached by the payment's day (its won referrals of the
// period closed by then), and the period's earlier entries under the same
// rule that were accrued at a lower rate are topped up to it
// (commission.RetroactiveTopUp): one entry per earlier payment and rate
// reached (top_up_bp, part of the entry's key), so accruing again adds
// nothing and reaching the next tier tops up once more.

// Stats counts what accrual did.
type Stats struct {
	Events      int // events processed (left pending → another status)
	Entries     int // entries written
	NoAgreement int
	NothingDue  int
}

func (s *Stats) add(o Stats) {
	s.Events += o.Events
	s.Entries += o.Entries
	s.NoAgreement += o.NoAgreement
	s.NothingDue += o.NothingDue
}

// DefaultBatch is how many events one accrual transaction takes.
const DefaultBatch = 5000

// Workers is how many connections AccruePending accrues on at once. The
// pending events are split by partner (a hash of its id), so each
// partner's payments and refunds are accrued by one worker, in payment
// order: a refund always sees what its payment earned, and a retroactive
// tier's top-ups see every earlier payment of the partner's period.
const Workers = 2

// Accrue accrues one revenue event of the firm — first any pending earlier
// payments of the same referral, so a refund always sees what was earned.
// An event already accrued is left alone (zero Stats).
func Accrue(ctx context.Context, tx pgx.Tx, tenantID, revenueEventID uuid.UUID, now time.Time) (Stats, error) {
	ev, err := GetRevenue(ctx, tx, tenantID, revenueEventID)
	if err != nil {
		return Stats{}, err
	}
	if ev.AccrualStatus != StatusPending {
		return Stats{}, nil
	}
	return accrueBatch(ctx, tx, tenantID, &ev, 0, share{}, now)
}

// AccruePending accrues the firm's pending events in batches of batch
// (≤ 0: DefaultBatch), each in its own transaction, until none is left,
// on Workers connections each taking its own share of the referrals.
// It is safe to stop at any point and run again: a batch commits whole or
// not at all.
func AccruePending(ctx context.Context, d *db.DB, tenantID uuid.UUID, batch int, now time.Time) (Stats, error) {
	if batch <= 0 {
		batch = DefaultBatch
	}
	type result struct {
		st  Stats
		err error
	}
	results := make(chan result, Workers)
	for w := range Workers {
		go func() {
			var total Stats
			for {
				var st Stats
				var full bool
				if err := d.InTenant(ctx, tenantID, func(tx pgx.Tx) (err error) {
					st, full, err = accrueNext(ctx, tx, tenantID, nil, batch, share{Workers, w}, now)
					return err
				}); err != nil {
					results <- result{total, err}
					return
				}
				total.add(st)
				// Done when the queue had no full batch left, or when none of
				// a full one could be taken (held by other transactions).
				if !full || st.Events == 0 {
					results <- result{total, nil}
					return
				}
			}
		}()
	}
	var total Stats
	var firstErr error
	for range Workers {
		r := <-results
		total.add(r.st)
		if r.err != nil && firstErr == nil {
			firstErr = r.err
		}
	}
	return total, firstErr
}

// share selects the partners whose hash modulo of is part (of ≤ 1: all).
type share struct{ of, part int }

// AccrueBatch accrues up to limit of the firm's pending events, oldest
// payment first, in tx. Events locked by another transaction are skipped.
func AccrueBatch(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, limit int, now time.Time) (Stats, error) {
	return accrueBatch(ctx, tx, tenantID, nil, limit, share{}, now)
}

// pendingEvent is a pending revenue event with the facts accrual needs.
type pendingEvent struct {
	id, engagementID, referralID, partnerID uuid.UUID
	amount                                  int64
	currency                                string
	paidOn                                  time.Time
	refundOf                                *uuid.UUID
	refundedPaidOn                          *time.Time
	startedOn                               time.Time
	endedOn                                 *time.Time
	firstEngagement                         bool
	firstStartedOn                          time.Time
	clientActive                            bool
	direction                               string
	anchor                                  time.Time // the referral's won (else submitted) time
	agreementID                             *uuid.UUID
	rules                                   []byte
	trigger                                 *string
	netDays                                 *int32
}

// ruleKey identifies what a rule has earned on a referral; payKey what it
// earned on one payment (and its refunds).
type ruleKey struct {
	referral, agreement uuid.UUID
	index               int32
}
type payKey struct {
	payment, agreement uuid.UUID
	index              int32
}

func accrueBatch(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, one *RevenueEvent, limit int, sh share, now time.Time) (Stats, error) {
	st, _, err := accrueNext(ctx, tx, tenantID, one, limit, sh, now)
	return st, err
}

// accrueNext accrues, in tx, the pending events of one's referral up to
// one or else the next limit pending events of the share of partners.
// full says whether limit events were picked (more may be pending).
func accrueNext(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, one *RevenueEvent, limit int, sh share, now time.Time) (st Stats, full bool, err error) {
	batch, full, err := nextBatch(ctx, tx, tenantID, one, limit, sh)
	if err != nil || len(batch) == 0 {
		return Stats{}, full, err
	}
	st, err = accrueEvents(ctx, tx, tenantID, batch, now)
	return st, full, err
}

// accrueEvents locks and accrues the batch's events that are still
// pending, in payment order.
func accrueEvents(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, batch []uuid.UUID, now time.Time) (Stats, error) {
	evs, err := loadEvents(ctx, tx, tenantID, batch)
	if err != nil || len(evs) == 0 {
		return Stats{}, err
	}

	// The rules of each agreement version of the batch, parsed once.
	type parsedRules struct {
		rules   []commission.Rule
		json    []string
		hasFlat bool
	}
	agreements := map[uuid.UUID]*parsedRules{}
	for _, p := range evs {
		if p.agreementID == nil || agreements[*p.agreementID] != nil {
			continue
		}
		pr := &parsedRules{}
		if err := json.Unmarshal(p.rules, &pr.rules); err != nil {
			return Stats{}, apperr.Internal(fmt.Errorf("ledger: agreement %s rules: %w", *p.agreementID, err))
		}
		for _, rule := range pr.rules {
			b, err := json.Marshal(rule)
			if err != nil {
				return Stats{}, apperr.Internal(err)
			}
			pr.json = append(pr.json, string(b))
			pr.hasFlat = pr.hasFlat || rule.Kind == commission.FlatFee
		}
		agreements[*p.agreementID] = pr
	}

	// What each rule has earned so far on the batch's referrals — needed
	// only where a refund is to be clawed back (what was earned) or a flat
	// fee may be due (whether it was already accrued), so only those
	// referrals are read.
	// What each payment earned (for refunds of a known payment) is read
	// only on the referrals that have one.
	refIDs := make([]uuid.UUID, 0, len(evs))
	payRefIDs := []uuid.UUID{}
	seen := map[uuid.UUID]bool{}
	seenPay := map[uuid.UUID]bool{}
	for _, p := range evs {
		if p.agreementID == nil {
			continue
		}
		if !seen[p.referralID] && (p.amount < 0 || agreements[*p.agreementID].hasFlat) {
			seen[p.referralID] = true
			refIDs = append(refIDs, p.referralID)
		}
		if p.refundOf != nil && !seenPay[p.referralID] {
			seenPay[p.referralID] = true
			payRefIDs = append(payRefIDs, p.referralID)
		}
	}
	earned := map[ruleKey]int64{}
	earnedPay := map[payKey]int64{}
	flatPaid := map[ruleKey]bool{}
	rows, err := tx.Query(ctx, `SELECT je.referral_id, je.agreement_id, je.rule_index,
			CASE WHEN je.referral_id = ANY($3) THEN (SELECT coalesce(ev.refund_of_id, ev.id) FROM revenue_events ev
				WHERE ev.tenant_id = je.tenant_id AND ev.id = je.revenue_event_id) END,
			sum(je.amount_cents), bool_or(je.kind = 'accrual' AND je.rule->>'kind' = 'flat_fee')
		FROM journal_entries je
		WHERE je.tenant_id = $1 AND je.referral_id = ANY($2) AND je.kind IN ('accrual', 'reversal')
		GROUP BY 1, 2, 3, 4`, tenantID, pgUUIDs(refIDs), pgUUIDs(payRefIDs))
	if err != nil {
		return Stats{}, apperr.Internal(err)
	}
	for rows.Next() {
		var rk ruleKey
		var referral, agreement, pay pgtype.UUID
		var sum int64
		var flat bool
		if err := rows.Scan(&referral, &agreement, &rk.index, &pay, &sum, &flat); err != nil {
			rows.Close()
			return Stats{}, apperr.Internal(err)
		}
		rk.referral, rk.agreement = referral.Bytes, agreement.Bytes
		earned[rk] += sum
		if pay.Valid {
			earnedPay[payKey{pay.Bytes, rk.agreement, rk.index}] += sum
		}
		flatPaid[rk] = flatPaid[rk] || flat
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Stats{}, apperr.Internal(err)
	}

	f := facts{tx: tx, tenantID: tenantID, ordinal: map[ordinalKey]int64{}, conversion: map[convKey]int64{},
		reached: map[reachedKey]int64{}}
	var out entryBatch
	type status struct {
		id         uuid.UUID
		status     string
		note       string
		hasEntries bool
	}
	statuses := make([]status, 0, len(evs))
	var st Stats
	for _, p := range evs {
		st.Events++
		if p.agreementID == nil {
			statuses = append(statuses, status{p.id, StatusNoAgreement, "No agreement in force for the referral's partner on the referral's date.", false})
			st.NoAgreement++
			continue
		}
		pr := agreements[*p.agreementID]
		rules := pr.rules
		var reasons []string
		n := 0
		for i, rule := range rules {
			idx := int32(i)
			if ok, why := rule.AppliesTo(p.direction); !ok {
				reasons = append(reasons, fmt.Sprintf("rule %d: %s", i+1, why))
				continue
			}
			rk := ruleKey{p.referralID, *p.agreementID, idx}
			ev := commission.Event{AmountCents: p.amount, PaidOn: p.paidOn, FirstEngagement: p.firstEngagement,
				EngagementStartedOn: p.startedOn}
			c := commission.Context{ClientActive: p.clientActive, FirstEngagementStartedOn: p.firstStartedOn,
				FlatFeePaid: flatPaid[rk]}
			if p.amount < 0 {
				c.EarnedCents = earned[rk]
				if p.refundOf != nil {
					c.EarnedCents = earnedPay[payKey{*p.refundOf, *p.agreementID, idx}]
					ev.RefundedPaidOn = *p.refundedPaidOn
				}
				if c.EarnedCents < 0 {
					c.EarnedCents = 0
				}
			}
			switch rule.Kind {
			case commission.TieredVolume:
				ord, err := f.wonOrdinal(ctx, p, rule.Period)
				if err != nil {
					return st, err
				}
				c.WonReferralOrdinal, c.WonReferralsInPeriod = ord, ord
				if rule.Mode == commission.Retroactive {
					if c.WonReferralsInPeriod, err = f.wonByPayment(ctx, p, rule.Period); err != nil {
						return st, err
					}
					if p.amount > 0 {
						// The period's earlier entries under this rule are topped
						// up to the tier now reached; flushed first so entries of
						// this batch are among them.
						n, err := out.insert(ctx, tx, tenantID)
						if err != nil {
							return st, err
						}
						st.Entries += n
						out = entryBatch{}
						tops, err := f.topUps(ctx, p, rule, idx, c)
						if err != nil {
							return st, err
						}
						for _, e := range tops {
							out.add(e, pr.json[i])
							if e.ReferralID != nil {
								earned[ruleKey{*e.ReferralID, *p.agreementID, idx}] += e.AmountCents
							}
							earnedPay[payKey{*e.RevenueEventID, *p.agreementID, idx}] += e.AmountCents
						}
					}
				}
			case commission.TieredConversion:
				bp, err := f.conversionBP(ctx, p, rule.WindowMonths)
				if err != nil {
					return st, err
				}
				c.ConversionBP = bp
			}
			res, err := commission.Compute(rule, ev, c)
			if err != nil {
				return st, apperr.Internal(fmt.Errorf("ledger: revenue event %s, agreement %s rule %d: %w", p.id, *p.agreementID, i, err))
			}
			if res.AmountCents == 0 {
				reasons = append(reasons, fmt.Sprintf("rule %d: %s", i+1, res.Reason))
				continue
			}
			kind := KindAccrual
			if res.AmountCents < 0 {
				kind = KindReversal
			}
			ruleJSON := pr.json[i]
			rate := res.RateBP
			e := Entry{ID: newEntryID(), Kind: kind, PartnerID: p.partnerID, ReferralID: ptr(p.referralID),
				EngagementID: ptr(p.engagementID), RevenueEventID: ptr(p.id), AgreementID: p.agreementID,
				RuleIndex: &idx, Rule: &rule, Direction: rule.Direction, AmountCents: res.AmountCents,
				Currency: p.currency, RateBP: &rate, DueOn: dueOn(p, p.trigger, p.netDays), Explanation: res.Explanation}
			out.add(e, ruleJSON)
			earned[rk] += res.AmountCents
			pay := p.id
			if p.refundOf != nil {
				pay = *p.refundOf
			}
			earnedPay[payKey{pay, *p.agreementID, idx}] += res.AmountCents
			if kind == KindAccrual && rule.Kind == commission.FlatFee {
				flatPaid[rk] = true
			}
			n++
		}
		if n > 0 {
			statuses = append(statuses, status{p.id, StatusAccrued, strings.Join(reasons, "; "), true})
		} else {
			if len(rules) == 0 {
				reasons = append(reasons, "the agreement has no commission rules")
			}
			statuses = append(statuses, status{p.id, StatusNothingDue, strings.Join(reasons, "; "), false})
			st.NothingDue++
		}
	}

	// Writing entries runs foreign-key checks per row: those keep their
	// cached plans (replanning each doubled the run).
	if _, err := tx.Exec(ctx, `SET LOCAL plan_cache_mode = auto`); err != nil {
		return st, apperr.Internal(err)
	}
	inserted, err := out.insert(ctx, tx, tenantID)
	if err != nil {
		return st, err
	}
	st.Entries += inserted

	ids := make([]uuid.UUID, len(statuses))
	sts := make([]string, len(statuses))
	notes := make([]string, len(statuses))
	for i, s := range statuses {
		ids[i], sts[i], notes[i] = s.id, s.status, s.note
	}
	if _, err := tx.Exec(ctx, `UPDATE revenue_events r SET accrual_status = u.status, accrual_note = u.note, accrued_at = $5
		FROM unnest($2::uuid[], $3::text[], $4::text[]) AS u(id, status, note)
		WHERE r.tenant_id = $1 AND r.id = u.id AND r.accrual_status = 'pending'`, tenantID, pgUUIDs(ids), sts, notes, now); err != nil {
		return st, apperr.Internal(err)
	}
	if err := audit.Record(ctx, tx, tenantID, "ledger.accrue", "revenue_event", evs[0].id.String(), map[string]any{
		"events": st.Events, "entries": st.Entries, "no_agreement": st.NoAgreement, "nothing_due": st.NothingDue,
	}); err != nil {
		return st, apperr.Internal(err)
	}
	return st, nil
}

func ptr[T any](v T) *T { return &v }

// dueOn is the trigger date plus the agreement's net days: the client
// payment (default), the engagement's start, its completion (unknown until
// it ends: no due date yet) or the end of the payment's month.
func dueOn(p pendingEvent, trigger *string, netDays *int32) *time.Time {
	net := 30
	if netDays != nil {
		net = int(*netDays)
	}
	t := "client_payment"
	if trigger != nil {
		t = *trigger
	}
	var base time.Time
	switch t {
	case "project_start":
		base = p.startedOn
	case "completion":
		if p.endedOn == nil {
			return nil
		}
		base = *p.endedOn
	case "monthly":
		y, m, _ := p.paidOn.Date()
		base = time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC)
	default:
		base = p.paidOn
	}
	d := day(base).AddDate(0, 0, net)
	return &d
}

// facts looks up the per-rule facts, cached for the batch.
type facts struct {
	tx         pgx.Tx
	tenantID   uuid.UUID
	ordinal    map[ordinalKey]int64
	conversion map[convKey]int64
	reached    map[reachedKey]int64
}

type reachedKey struct {
	partner   uuid.UUID
	direction string
	period    commission.Period
	start     time.Time
	on        time.Time
}

type ordinalKey struct {
	referral uuid.UUID
	period   commission.Period
}

type convKey struct {
	partner   uuid.UUID
	direction string
	window    int
	on        time.Time
}

// wonOrdinal is the referral's position among the partner's won referrals of the same direction
// of the period it falls in (won ones by closing time; a referral not won
// counts as the next one).
func (f *facts) wonOrdinal(ctx context.Context, p pendingEvent, period commission.Period) (int64, error) {
	k := ordinalKey{p.referralID, period}
	if n, ok := f.ordinal[k]; ok {
		return n, nil
	}
	start := time.Date(p.anchor.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	if period == commission.Trailing12Months {
		start = p.anchor.AddDate(-1, 0, 0)
	}
	var n int64
	if err := f.tx.QueryRow(ctx, `SELECT count(*) FROM referrals w
		WHERE w.tenant_id = $1 AND coalesce(w.credited_partner_id, w.partner_id) = $2 AND w.status = 'won'
		  AND w.direction = $6 AND w.closed_at >= $3 AND (w.closed_at, w.id) < ($4::timestamptz, $5::uuid)`,
		f.tenantID, p.partnerID, start, p.anchor, p.referralID, p.direction).Scan(&n); err != nil {
		return 0, apperr.Internal(err)
	}
	f.ordinal[k] = n + 1
	return n + 1, nil
}

// conversionBP is won / decided (won, lost, declined) among the partner's
// referrals of the same direction submitted in the window months up to the
// payment day, in basis points (0 when none was decided).
func (f *facts) conversionBP(ctx context.Context, p pendingEvent, window int) (int64, error) {
	k := convKey{p.partnerID, p.direction, window, p.paidOn}
	if v, ok := f.conversion[k]; ok {
		return v, nil
	}
	end := day(p.paidOn).AddDate(0, 0, 1)
	start := day(p.paidOn).AddDate(0, -window, 0)
	var won, decided int64
	if err := f.tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'won'),
			count(*) FILTER (WHERE status IN ('won', 'lost', 'declined'))
		FROM referrals WHERE tenant_id = $1 AND coalesce(credited_partner_id, partner_id) = $2 AND direction = $3
		  AND submitted_at >= $4 AND submitted_at < $5`,
		f.tenantID, p.partnerID, p.direction, start, end).Scan(&won, &decided); err != nil {
		return 0, apperr.Internal(err)
	}
	var bp int64
	if decided > 0 {
		bp = won * commission.BPScale / decided
	}
	f.conversion[k] = bp
	return bp, nil
}

// periodStart is the start of the tiered_volume period the referral's
// anchor (won time) falls in; periodEnd its end (exclusive).
func periodBounds(anchor time.Time, period commission.Period) (start, end time.Time) {
	if period == commission.Trailing12Months {
		return anchor.AddDate(-1, 0, 0), anchor.Add(time.Nanosecond)
	}
	start = time.Date(anchor.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	return start, start.AddDate(1, 0, 0)
}

// wonByPayment is how many referrals of the same direction the partner had won in the period of
// the referral by the end of the payment's day (at least the referral's
// own ordinal): the tier a retroactive rule has reached for this payment.
func (f *facts) wonByPayment(ctx context.Context, p pendingEvent, period commission.Period) (int64, error) {
	start, end := periodBounds(p.anchor, period)
	if byDay := day(p.paidOn).AddDate(0, 0, 1); period == commission.CalendarYear && byDay.Before(end) {
		end = byDay
	}
	k := reachedKey{p.partnerID, p.direction, period, start, end}
	if n, ok := f.reached[k]; ok {
		return n, nil
	}
	var n int64
	if err := f.tx.QueryRow(ctx, `SELECT count(*) FROM referrals w
		WHERE w.tenant_id = $1 AND coalesce(w.credited_partner_id, w.partner_id) = $2 AND w.status = 'won'
		  AND w.direction = $5 AND w.closed_at >= $3 AND w.closed_at < $4`,
		f.tenantID, p.partnerID, start, end, p.direction).Scan(&n); err != nil {
		return 0, apperr.Internal(err)
	}
	ord, err := f.wonOrdinal(ctx, p, period)
	if err != nil {
		return 0, err
	}
	n = max(n, ord)
	f.reached[k] = n
	return n, nil
}

// topUps returns the top-up entries a retroactive tiered_volume rule owes
// on the period's earlier payments (of referrals won in the period, paid
// on or before this payment, under the same agreement version and rule)
// now that c.WonReferralsInPeriod referrals are won: each earlier payment's
// entries are summed (what it earned) with the highest rate applied so far.
func (f *facts) topUps(ctx context.Context, p pendingEvent, rule commission.Rule, idx int32, c commission.Context) ([]Entry, error) {
	start, end := periodBounds(p.anchor, rule.Period)
	rows, err := f.tx.Query(ctx, `SELECT je.revenue_event_id, min(je.referral_id::text)::uuid, min(je.engagement_id::text)::uuid,
			min(ev.amount_cents), max(greatest(coalesce(je.rate_bp, 0), je.top_up_bp)), sum(je.amount_cents)
		FROM journal_entries je
		JOIN revenue_events ev ON ev.tenant_id = je.tenant_id AND ev.id = je.revenue_event_id
		JOIN referrals w ON w.tenant_id = je.tenant_id AND w.id = je.referral_id
		WHERE je.tenant_id = $1 AND je.partner_id = $2 AND je.agreement_id = $3 AND je.rule_index = $4
		  AND je.kind IN ('accrual', 'reversal') AND je.revenue_event_id <> $5 AND je.currency = $9
		  AND w.closed_at >= $6 AND w.closed_at < $7
		  AND (ev.paid_on, ev.created_at, ev.id) < ($8::date, (SELECT created_at FROM revenue_events WHERE tenant_id = $1 AND id = $5), $5)
		GROUP BY je.revenue_event_id
		ORDER BY min(ev.paid_on), je.revenue_event_id`,
		f.tenantID, p.partnerID, *p.agreementID, idx, p.id, start, end, p.paidOn, p.currency)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	type prior struct {
		event, referral, engagement uuid.UUID
		commission.PriorAccrual
	}
	var priors []prior
	for rows.Next() {
		var pr prior
		if err := rows.Scan(&pr.event, &pr.referral, &pr.engagement, &pr.BaseCents, &pr.RateBP, &pr.EarnedCents); err != nil {
			rows.Close()
			return nil, apperr.Internal(err)
		}
		priors = append(priors, pr)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	if len(priors) == 0 {
		return nil, nil
	}
	in := make([]commission.PriorAccrual, len(priors))
	for i, pr := range priors {
		in[i] = pr.PriorAccrual
	}
	res, err := commission.RetroactiveTopUp(rule, c, in)
	if err != nil {
		return nil, apperr.Internal(fmt.Errorf("ledger: top-up for revenue event %s: %w", p.id, err))
	}
	var out []Entry
	for i, r := range res {
		if r.AmountCents == 0 {
			continue
		}
		kind := KindAccrual
		if r.AmountCents < 0 {
			kind = KindReversal
		}
		rate := r.RateBP
		ev, ref, eng := priors[i].event, priors[i].referral, priors[i].engagement
		out = append(out, Entry{ID: newEntryID(), Kind: kind, PartnerID: p.partnerID, ReferralID: &ref,
			EngagementID: &eng, RevenueEventID: &ev, AgreementID: p.agreementID, RuleIndex: &idx, Rule: &rule,
			Direction: rule.Direction, AmountCents: r.AmountCents, Currency: p.currency, RateBP: &rate, TopUpBP: rate,
			DueOn: dueOn(p, p.trigger, p.netDays), Explanation: r.Explanation})
	}
	return out, nil
}
