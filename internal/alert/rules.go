package alert

import (
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/period"
)

// The rules: pure functions of a partner's facts, the firm's thresholds
// and the day. Each returns the alert that should be open, or false.

// DateFormat is how days show in messages.
const DateFormat = "2 Jan 2006"

// Live partner statuses: alerts are about these partners.
var liveStatuses = []string{"onboarding", "active", "paused"}

// PartnerFacts is what the rules know about one partner (see facts.go).
type PartnerFacts struct {
	PartnerID uuid.UUID
	Name      string
	Status    string
	// StatusChangedAt is when it entered its status (for an active
	// partner: when it became active).
	StatusChangedAt time.Time

	// Referrals submitted over the trailing 12 months: sent is ours to it
	// (outbound), received is its to us (inbound).
	Sent, Received int

	// Its referrals to us decided (won or lost) in the last two complete
	// quarters, and in the four before; and how many of each were won.
	RecentWon, RecentDecided int
	PriorWon, PriorDecided   int

	// SLA clocks due in the last 30 days and breached: ours (answering its
	// referrals) and its own (answering ours).
	OurBreaches, TheirBreaches int

	// LastActivity is the latest referral submitted either way, move of one
	// of its referrals or review held (nil: none).
	LastActivity *time.Time

	// Contacts: all it ever had, the current ones, whether a current one is
	// the executive sponsor, the latest to leave and the latest executive
	// sponsor to leave.
	Contacts, CurrentContacts int
	HasSponsor                bool
	LastDeparted              *Departure
	SponsorDeparted           *Departure

	// Agreement is its active agreement version when that has an end date.
	Agreement *AgreementEnd
}

// Departure is a contact who left.
type Departure struct {
	Name string
	At   time.Time
}

// AgreementEnd is the end of an active agreement version.
type AgreementEnd struct {
	ID          uuid.UUID
	Version     int
	EffectiveTo time.Time // the last day in force
	AutoRenew   bool
}

// Window is the day a scan runs for and the periods the rules look at,
// in the firm's time zone (days at UTC midnight, as period does).
type Window struct {
	Today time.Time
	// YearFrom is the first day of the trailing 12 months.
	YearFrom time.Time
	// Recent are the last two complete quarters, Prior the four before.
	Recent, Prior [2]period.Quarter // first and last quarter of each
	// SLAFrom is the first day of the breach window.
	SLAFrom time.Time
}

// WindowFor is the scan window of the day today (a calendar day).
func WindowFor(today time.Time) Window {
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	cur := period.QuarterOf(today)
	recent := cur.Prev().Last(2)
	prior := recent[0].Prev().Last(4)
	return Window{
		Today:    today,
		YearFrom: today.AddDate(-1, 0, 0),
		Recent:   [2]period.Quarter{recent[0], recent[1]},
		Prior:    [2]period.Quarter{prior[0], prior[3]},
		SLAFrom:  today.AddDate(0, 0, -SLAWindowDays),
	}
}

// Evaluate runs every rule over every partner: the alerts that should be
// open, partner by partner in the order given, kinds in Kinds order.
func Evaluate(ps []PartnerFacts, t Thresholds, w Window) []Candidate {
	var out []Candidate
	for _, p := range ps {
		for _, rule := range []func(PartnerFacts, Thresholds, Window) (Candidate, bool){
			relationshipAtRisk, agreementExpiring, slaBreach, conversionDrop, unevenFlow, silentPartner,
		} {
			if c, ok := rule(p, t, w); ok {
				out = append(out, c)
			}
		}
	}
	return out
}

// unevenFlow: the larger side of the trailing 12 months is at least the
// minimum and at least ratio times the smaller (any number over none).
func unevenFlow(p PartnerFacts, t Thresholds, _ Window) (Candidate, bool) {
	hi, lo, weSent := p.Sent, p.Received, true
	if p.Received > p.Sent {
		hi, lo, weSent = p.Received, p.Sent, false
	}
	if hi == 0 || hi < t.UnevenMinReferrals || (lo > 0 && hi*10 < t.UnevenRatioX10*lo) {
		return Candidate{}, false
	}
	// Worded as said to the partner at a review.
	var msg string
	if weSent {
		msg = fmt.Sprintf("We've referred %s to you this year and received %d", opportunities(hi), lo)
	} else {
		msg = fmt.Sprintf("You've referred %s to us this year and we've sent you %d", opportunities(hi), lo)
	}
	return Candidate{Kind: UnevenFlow, PartnerID: p.PartnerID, Key: key(UnevenFlow, p.PartnerID), Message: msg,
		Details: map[string]any{"sent": p.Sent, "received": p.Received, "ratio_x10": t.UnevenRatioX10,
			"min_referrals": t.UnevenMinReferrals}}, true
}

func opportunities(n int) string {
	if n == 1 {
		return "1 opportunity"
	}
	return strconv.Itoa(n) + " opportunities"
}

// conversionDrop: won/decided fell by ConversionDropPoints or more from
// the prior four quarters to the recent two, both with enough decided.
func conversionDrop(p PartnerFacts, _ Thresholds, w Window) (Candidate, bool) {
	if p.RecentDecided < ConversionMinDecided || p.PriorDecided < ConversionMinDecided {
		return Candidate{}, false
	}
	// prior − recent ≥ 15 points, in integers:
	// (pw/pd − rw/rd)·100 ≥ 15  ⇔  (pw·rd − rw·pd)·100 ≥ 15·pd·rd.
	diff := int64(p.PriorWon)*int64(p.RecentDecided) - int64(p.RecentWon)*int64(p.PriorDecided)
	if diff*100 < ConversionDropPoints*int64(p.PriorDecided)*int64(p.RecentDecided) {
		return Candidate{}, false
	}
	priorBP, recentBP := rateBP(p.PriorWon, p.PriorDecided), rateBP(p.RecentWon, p.RecentDecided)
	msg := fmt.Sprintf("Conversion of their referrals fell to %s (%d won of %d decided) in %s, from %s (%d of %d) in %s",
		percent(recentBP), p.RecentWon, p.RecentDecided, quarterRange(w.Recent), percent(priorBP), p.PriorWon,
		p.PriorDecided, quarterRange(w.Prior))
	return Candidate{Kind: ConversionDrop, PartnerID: p.PartnerID, Key: key(ConversionDrop, p.PartnerID), Message: msg,
		Details: map[string]any{"recent_won": p.RecentWon, "recent_decided": p.RecentDecided, "recent_rate_bp": recentBP,
			"prior_won": p.PriorWon, "prior_decided": p.PriorDecided, "prior_rate_bp": priorBP,
			"recent_from": w.Recent[0].String(), "recent_to": w.Recent[1].String(),
			"prior_from": w.Prior[0].String(), "prior_to": w.Prior[1].String()}}, true
}

// rateBP is won/decided in basis points, rounded half up.
func rateBP(won, decided int) int64 {
	if decided == 0 {
		return 0
	}
	return (int64(won)*20000 + int64(decided)) / (2 * int64(decided))
}

// percent shows basis points as a whole percentage, rounded half up
// ("45%").
func percent(bp int64) string { return strconv.FormatInt((bp+50)/100, 10) + "%" }

// quarterRange is "Q3–Q4 2026" or "Q4 2025–Q1 2026".
func quarterRange(q [2]period.Quarter) string {
	if q[0] == q[1] {
		return q[0].Label()
	}
	if q[0].Year == q[1].Year {
		return fmt.Sprintf("Q%d–Q%d %d", q[0].Q, q[1].Q, q[1].Year)
	}
	return q[0].Label() + "–" + q[1].Label()
}

// slaBreach: any clock breached in the window.
func slaBreach(p PartnerFacts, _ Thresholds, _ Window) (Candidate, bool) {
	n := p.OurBreaches + p.TheirBreaches
	if n == 0 {
		return Candidate{}, false
	}
	noun := "SLA breaches"
	if n == 1 {
		noun = "SLA breach"
	}
	var who string
	switch {
	case p.TheirBreaches == 0:
		who = "on our side"
		if n > 1 {
			who = "all on our side"
		}
	case p.OurBreaches == 0:
		who = "on their side"
		if n > 1 {
			who = "all on their side"
		}
	default:
		who = fmt.Sprintf("%d on our side, %d on theirs", p.OurBreaches, p.TheirBreaches)
	}
	msg := fmt.Sprintf("%d %s in the last %d days (%s)", n, noun, SLAWindowDays, who)
	return Candidate{Kind: SLABreach, PartnerID: p.PartnerID, Key: key(SLABreach, p.PartnerID), Message: msg,
		Details: map[string]any{"breaches": n, "ours": p.OurBreaches, "theirs": p.TheirBreaches, "days": SLAWindowDays}}, true
}

// silentPartner: an active partner whose last sign of life (or its
// activation, when later) is silent_days or more before today.
func silentPartner(p PartnerFacts, t Thresholds, w Window) (Candidate, bool) {
	if p.Status != "active" {
		return Candidate{}, false
	}
	since, activation := p.StatusChangedAt, true
	if p.LastActivity != nil && p.LastActivity.After(since) {
		since, activation = *p.LastActivity, false
	}
	day := time.Date(since.Year(), since.Month(), since.Day(), 0, 0, 0, 0, time.UTC)
	days := int(w.Today.Sub(day).Hours() / 24)
	if days < t.SilentDays {
		return Candidate{}, false
	}
	msg := "No referral either way and no contact since " + day.Format(DateFormat)
	if activation {
		msg = "No referral either way and no contact since it became active on " + day.Format(DateFormat)
	}
	return Candidate{Kind: SilentPartner, PartnerID: p.PartnerID, Key: key(SilentPartner, p.PartnerID), Message: msg,
		Details: map[string]any{"since": day.Format(time.DateOnly), "silent_days": t.SilentDays}}, true
}

// relationshipAtRisk: everyone left, or the sponsor left unreplaced.
func relationshipAtRisk(p PartnerFacts, _ Thresholds, _ Window) (Candidate, bool) {
	var msg string
	details := map[string]any{"contacts": p.Contacts, "current_contacts": p.CurrentContacts}
	switch {
	case p.Contacts > 0 && p.CurrentContacts == 0 && p.LastDeparted != nil:
		d := p.LastDeparted
		if p.Contacts == 1 {
			msg = fmt.Sprintf("The only contact at %s, %s, left on %s", p.Name, d.Name, d.At.Format(DateFormat))
		} else {
			msg = fmt.Sprintf("All %d contacts at %s have left; the last, %s, on %s", p.Contacts, p.Name, d.Name,
				d.At.Format(DateFormat))
		}
		details["reason"] = "all_departed"
	case !p.HasSponsor && p.SponsorDeparted != nil:
		d := p.SponsorDeparted
		msg = fmt.Sprintf("The executive sponsor at %s, %s, left on %s and no one has taken the role", p.Name, d.Name,
			d.At.Format(DateFormat))
		details["reason"] = "sponsor_departed"
	default:
		return Candidate{}, false
	}
	return Candidate{Kind: RelationshipAtRisk, PartnerID: p.PartnerID, Key: key(RelationshipAtRisk, p.PartnerID),
		Message: msg, Details: details}, true
}

// agreementExpiring: the active version ends within the next 30 days
// (today included) and does not renew by itself.
func agreementExpiring(p PartnerFacts, _ Thresholds, w Window) (Candidate, bool) {
	a := p.Agreement
	if a == nil || a.AutoRenew {
		return Candidate{}, false
	}
	end := time.Date(a.EffectiveTo.Year(), a.EffectiveTo.Month(), a.EffectiveTo.Day(), 0, 0, 0, 0, time.UTC)
	if end.Before(w.Today) || end.After(w.Today.AddDate(0, 0, ExpiringWithinDays)) {
		return Candidate{}, false
	}
	msg := fmt.Sprintf("Version %d of the agreement ends on %s and does not renew by itself", a.Version, end.Format(DateFormat))
	return Candidate{Kind: AgreementExpiring, PartnerID: p.PartnerID, Key: key(AgreementExpiring, p.PartnerID, a.ID.String()),
		Message: msg, Details: map[string]any{"agreement_id": a.ID.String(), "version": a.Version,
			"effective_to": end.Format(time.DateOnly)}}, true
}
