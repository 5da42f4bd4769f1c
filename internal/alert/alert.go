// Package alert raises the program's alerts: once a day a scan looks at
// every firm's partners, evaluates the rules (pure functions in rules.go)
// over facts fetched with a few indexed queries (facts.go), and keeps one
// open alert per condition — raised when it starts, its message updated
// when its numbers change, resolved when it clears (scan.go). Once a week
// the firm's owners, admins and managers get one email listing the alerts
// raised since the last digest (digest.go). Pages and the API read them
// through query.go.
//
// The rules, with the firm's thresholds from tenant_settings:
//
//   - uneven_flow: over the trailing 12 months, referrals we sent the
//     partner (outbound) against those it sent us (inbound): the larger
//     side is at least uneven_min_referrals and at least
//     uneven_ratio_x10/10 times the smaller (none at all on the smaller
//     side counts as an infinite ratio).
//   - conversion_drop: the partner's conversion — its referrals to us
//     (inbound) won, of those decided (won or lost; declined ones are not a
//     sale that failed) — in the last two complete quarters against the
//     four quarters before, dropped by 15 points or more, with at least 5
//     decided in each window (fewer says nothing).
//   - sla_breach: SLA clocks of the partner's referrals (ours or its own
//     answer to ours) that were due in the last 30 days and breached; one
//     alert per partner with the count.
//   - silent_partner: an active partner with no referral either way (none
//     submitted), no move of one of its referrals in the pipeline and no
//     review held for silent_days (counted from when it became active at
//     the earliest).
//   - relationship_at_risk: every contact the partner had has left, or its
//     executive sponsor left and no current contact holds the role.
//   - agreement_expiring: the active agreement ends within 30 days and does
//     not renew by itself.
//
// Alerts are about partners in a working relationship (onboarding,
// active, paused); silent_partner only about active ones. A partner moving
// out of those statuses resolves its alerts on the next scan.
package alert

import (
	"time"

	"github.com/google/uuid"
)

// Kinds of alert (alerts.kind).
const (
	UnevenFlow         = "uneven_flow"
	ConversionDrop     = "conversion_drop"
	SLABreach          = "sla_breach"
	SilentPartner      = "silent_partner"
	RelationshipAtRisk = "relationship_at_risk"
	AgreementExpiring  = "agreement_expiring"
)

// The rules' fixed parameters (the firm sets the others, see Thresholds).
const (
	ConversionDropPoints = 15 // how far conversion must fall, in percentage points
	ConversionMinDecided = 5  // decided referrals needed in each window
	SLAWindowDays        = 30 // breaches of clocks due in the last this many days
	ExpiringWithinDays   = 30 // agreements ending within this many days
)

// Kinds lists every kind, most pressing first (the dashboard's order).
var Kinds = []string{RelationshipAtRisk, AgreementExpiring, SLABreach, ConversionDrop, UnevenFlow, SilentPartner}

var kindLabels = map[string]string{
	UnevenFlow:         "Uneven flow",
	ConversionDrop:     "Falling conversion",
	SLABreach:          "SLA breaches",
	SilentPartner:      "Silent partner",
	RelationshipAtRisk: "Relationship at risk",
	AgreementExpiring:  "Agreement expiring",
}

// KindLabel is how a kind is shown to people ("Uneven flow").
func KindLabel(kind string) string {
	if l, ok := kindLabels[kind]; ok {
		return l
	}
	return kind
}

// ValidKind reports whether kind is one of Kinds.
func ValidKind(kind string) bool {
	_, ok := kindLabels[kind]
	return ok
}

// Alert is one row of alerts, with its partner's name.
type Alert struct {
	ID          uuid.UUID
	Kind        string
	PartnerID   *uuid.UUID
	PartnerName string
	Key         string
	Message     string
	Details     map[string]any
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ResolvedAt  *time.Time
	EmailedAt   *time.Time
}

// Thresholds are a firm's alert settings (tenant_settings).
type Thresholds struct {
	UnevenRatioX10     int // 30: 3:1
	UnevenMinReferrals int // 5
	SilentDays         int // 90
}

// DefaultThresholds are the columns' defaults, for a firm without settings.
func DefaultThresholds() Thresholds {
	return Thresholds{UnevenRatioX10: 30, UnevenMinReferrals: 5, SilentDays: 90}
}

// Candidate is an alert the rules say should be open now.
type Candidate struct {
	Kind      string
	PartnerID uuid.UUID
	// Key names the condition: one open alert per key.
	Key     string
	Message string
	Details map[string]any
}

func key(kind string, partnerID uuid.UUID, more ...string) string {
	k := kind + ":" + partnerID.String()
	for _, m := range more {
		k += ":" + m
	}
	return k
}
