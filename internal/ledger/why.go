package ledger

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/db"
)

// The reasons WhyNothingEarned gives, besides the accrual's own.
const (
	WhyNotPaidYet        = "The client hasn't paid yet."
	WhyCalculating       = "Payment recorded, commission being calculated."
	WhyCreditedElsewhere = "This introduction is credited to another partner, so the commission follows that credit."
	// WhyNoAgreementPrefix starts the reason when no agreement was in
	// force on the referral's day; "Record the agreement…" is for staff.
	WhyNoAgreementPrefix = "No agreement was in force on "
)

// WhyNothingEarned says, for each of the firm's won referrals among
// referralIDs that has no accrual, why it has earned nothing yet: the
// client hasn't paid, no agreement was in force on the referral's day, a
// payment is waiting to be accrued, or the rules earned nothing (in the
// rules engine's words: reciprocity only, below the first tier, …).
// Referrals that earned something, aren't won or aren't the firm's are
// left out. In a portal transaction the partner's own payments and
// entries are what count.
func WhyNothingEarned(ctx context.Context, q db.Querier, tenantID uuid.UUID, referralIDs []uuid.UUID) (map[uuid.UUID]string, error) {
	out := map[uuid.UUID]string{}
	if len(referralIDs) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, `
		WITH tz AS (SELECT coalesce((SELECT time_zone FROM tenant_settings WHERE tenant_id = $1), 'UTC') AS zone)
		SELECT r.id, (r.submitted_at AT TIME ZONE tz.zone)::date,
			r.credited_partner_id IS NOT NULL AND r.credited_partner_id <> r.partner_id,
			count(e.id),
			count(e.id) FILTER (WHERE e.accrual_status = 'pending'),
			count(e.id) FILTER (WHERE e.accrual_status = 'no_agreement'),
			coalesce(array_agg(e.accrual_note ORDER BY e.paid_on, e.created_at) FILTER (WHERE e.accrual_status = 'nothing_due'), '{}'),
			EXISTS (SELECT 1 FROM journal_entries j WHERE j.tenant_id = r.tenant_id AND j.referral_id = r.id AND j.kind = 'accrual')
		FROM referrals r CROSS JOIN tz
		LEFT JOIN revenue_events e ON e.tenant_id = r.tenant_id AND e.referral_id = r.id
		WHERE r.tenant_id = $1 AND r.id = ANY($2) AND r.status = 'won'
		GROUP BY r.tenant_id, r.id, tz.zone`, tenantID, pgUUIDs(referralIDs))
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id pgtype.UUID
		var day time.Time
		var elsewhere, earned bool
		var events, pending, noAgreement int
		var notes []string
		if err := rows.Scan(&id, &day, &elsewhere, &events, &pending, &noAgreement, &notes, &earned); err != nil {
			return nil, apperr.Internal(err)
		}
		var why string
		switch {
		case earned:
			continue
		case events == 0 && elsewhere:
			why = WhyCreditedElsewhere
		case events == 0:
			why = WhyNotPaidYet
		case noAgreement > 0:
			why = WhyNoAgreement(day)
		case pending > 0:
			why = WhyCalculating
		default:
			why = nothingDueWords(notes)
		}
		out[id.Bytes] = why
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}

// WhyNoAgreement is the reason for a referral made on day with no
// agreement in force.
func WhyNoAgreement(day time.Time) string {
	return WhyNoAgreementPrefix + day.Format("2 Jan 2006") + ", the day the referral was made."
}

var ruleNoteRE = regexp.MustCompile(`^rule [0-9]+: `)

// refundReasons are about refunds, not about why nothing was earned.
var refundReasons = map[string]bool{commission.ReasonNothingToReverse: true, commission.ReasonFlatFeeNoRefund: true}

// nothingDueWords turns the notes accrual left on nothing_due payments
// ("rule 1: reciprocity only — no cash; rule 2: below the first tier")
// into a sentence: "Reciprocity only — no cash; below the first tier."
func nothingDueWords(notes []string) string {
	var reasons, refunds []string
	seen := map[string]bool{}
	for _, n := range notes {
		for _, part := range strings.Split(n, "; ") {
			part = strings.TrimSpace(ruleNoteRE.ReplaceAllString(strings.TrimSpace(part), ""))
			if part == "" || seen[part] {
				continue
			}
			seen[part] = true
			if refundReasons[part] {
				refunds = append(refunds, part)
				continue
			}
			if part == commission.ReasonFlatFeePaid {
				part = "the flat fee was already paid for this referral"
			}
			reasons = append(reasons, part)
		}
	}
	if len(reasons) == 0 {
		reasons = refunds
	}
	if len(reasons) == 0 {
		return "The agreement's rules earn nothing on these payments."
	}
	s := strings.Join(reasons, "; ")
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:] + "."
}
