package scorecard

import (
	"fmt"

	"github.com/google/uuid"
)

// Tier moves. Promote: health at least PromoteMinHealth and, at the end of
// each of the last PromoteQuarters quarters, the won referrals of the 4
// quarters before reach the next tier's volume level (above the current
// tier's). Demote: health below DemoteBelowHealth, or no won referral in
// DemoteNoWonQuarters quarters — only for a partner with that much history
// (a new partner has had no chance yet). Otherwise keep. Only active and
// paused partners are recommended a move.
const (
	PromoteMinHealth    = 75
	PromoteQuarters     = 2
	DemoteBelowHealth   = 40
	DemoteNoWonQuarters = 4
)

// VolumeLevels are the won referrals a year a tier expects, from the
// lowest tier up — the field guide's bands (1–3, 4–10, 11+ referrals a
// year); each tier above the third expects VolumeLevelStep more.
var VolumeLevels = []int64{1, 4, 11}

// VolumeLevelStep is what each tier above the VolumeLevels ones adds.
const VolumeLevelStep = 10

// VolumeLevel is the won referrals a year expected of the tier at index i
// of tiers ordered by rank (0 is the top, rank 1).
func VolumeLevel(i, tiers int) int64 {
	fromBottom := tiers - 1 - i
	switch {
	case fromBottom < 0:
		return VolumeLevels[0]
	case fromBottom < len(VolumeLevels):
		return VolumeLevels[fromBottom]
	}
	return VolumeLevels[len(VolumeLevels)-1] + int64(fromBottom-len(VolumeLevels)+1)*VolumeLevelStep
}

// RecommendInputs are what a tier recommendation reads.
type RecommendInputs struct {
	Status        string
	Tiers         []TierRef // the firm's tiers by rank, the top (rank 1) first
	CurrentTierID *uuid.UUID
	Health        int
	// WonYear is the won referrals of the 4 quarters ending with the
	// scorecard's quarter; WonYearBefore of the 4 ending the quarter before.
	WonYear, WonYearBefore int64
	// Established: the partner has at least DemoteNoWonQuarters quarters
	// of history.
	Established bool
}

// Recommend says promote, keep or demote with the reasons in words and
// numbers, and what reaching the next tier takes. Pure: no database.
func Recommend(in RecommendInputs) Recommendation {
	rec := Recommendation{Action: "keep"}
	cur := -1
	for i, t := range in.Tiers {
		if in.CurrentTierID != nil && t.ID == *in.CurrentTierID {
			cur = i
			rec.CurrentTier = ref(t)
		}
	}
	next := -1
	switch {
	case cur > 0:
		next = cur - 1
	case cur < 0 && len(in.Tiers) > 0:
		next = len(in.Tiers) - 1 // not in a tier: the lowest is the next
	}
	promoteOK := false
	if next >= 0 {
		rec.NextTier = ref(in.Tiers[next])
		level := VolumeLevel(next, len(in.Tiers))
		if in.Health < PromoteMinHealth {
			rec.NextNeeds = append(rec.NextNeeds, fmt.Sprintf("A health score of %d or more (now %d).", PromoteMinHealth, in.Health))
		}
		if short := level - min(in.WonYear, in.WonYearBefore); short > 0 {
			rec.NextNeeds = append(rec.NextNeeds, fmt.Sprintf(
				"%s over 4 quarters, two quarters running (now %d, and %d a quarter ago).",
				plural(level, "won referral", "won referrals"), in.WonYear, in.WonYearBefore))
		}
		promoteOK = len(rec.NextNeeds) == 0
	}

	if in.Status != "active" && in.Status != "paused" {
		rec.Reasons = append(rec.Reasons, fmt.Sprintf("The partner's status is %s: tier moves are recommended for active and paused partners only.", statusWord(in.Status)))
		return rec
	}
	if len(in.Tiers) == 0 {
		rec.Reasons = append(rec.Reasons, "The firm has no tiers.")
		return rec
	}
	if promoteOK {
		rec.Action = "promote"
		rec.TargetTier = rec.NextTier
		level := VolumeLevel(next, len(in.Tiers))
		rec.Reasons = append(rec.Reasons,
			fmt.Sprintf("Health %d is at least %d.", in.Health, PromoteMinHealth),
			fmt.Sprintf("%d won referrals in the last 4 quarters and %d in the 4 before this quarter: at least the %d %s expects, two quarters running.",
				in.WonYear, in.WonYearBefore, level, in.Tiers[next].Name))
		return rec
	}
	if cur < 0 {
		rec.Reasons = append(rec.Reasons, "Not in a tier yet.")
		return rec
	}

	var demoteWhy []string
	if in.Health < DemoteBelowHealth {
		demoteWhy = append(demoteWhy, fmt.Sprintf("Health %d is below %d.", in.Health, DemoteBelowHealth))
	}
	if in.WonYear == 0 {
		demoteWhy = append(demoteWhy, fmt.Sprintf("No won referral in the last %d quarters.", DemoteNoWonQuarters))
	}
	switch {
	case len(demoteWhy) > 0 && !in.Established:
		rec.Reasons = append(rec.Reasons, demoteWhy...)
		rec.Reasons = append(rec.Reasons, fmt.Sprintf("But the partner has less than %d quarters of history: no demotion yet.", DemoteNoWonQuarters))
		return rec
	case len(demoteWhy) > 0 && cur == len(in.Tiers)-1:
		rec.Reasons = append(rec.Reasons, demoteWhy...)
		rec.Reasons = append(rec.Reasons, "Already in the lowest tier: consider pausing or ending the partnership instead.")
		return rec
	case len(demoteWhy) > 0:
		rec.Action = "demote"
		rec.TargetTier = ref(in.Tiers[cur+1])
		rec.Reasons = demoteWhy
		return rec
	}

	rec.Reasons = append(rec.Reasons, fmt.Sprintf("Health %d is between %d and %d.", in.Health, DemoteBelowHealth, PromoteMinHealth-1))
	if in.Health >= PromoteMinHealth {
		rec.Reasons[0] = fmt.Sprintf("Health %d is at least %d.", in.Health, PromoteMinHealth)
	}
	level := VolumeLevel(cur, len(in.Tiers))
	rec.Reasons = append(rec.Reasons, fmt.Sprintf("%s in the last 4 quarters; %s expects %d.",
		plural(in.WonYear, "won referral", "won referrals"), in.Tiers[cur].Name, level))
	if next < 0 {
		rec.Reasons = append(rec.Reasons, "Already in the top tier.")
	}
	return rec
}

func ref(t TierRef) *TierRef { return &t }

func statusWord(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
