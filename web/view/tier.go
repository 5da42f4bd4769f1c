package view

import (
	"net/url"
	"strconv"
)

// TierMember is a partner listed under its tier.
type TierMember struct {
	ID     string
	Name   string
	Status string
}

// TierRow is one tier on the tiers page.
type TierRow struct {
	ID        string
	Name      string
	Rank      int
	TargetMin int
	TargetMax int
	Members   []TierMember
	Count     int
	// TargetStatus is "below", "at", "over" or "" (no target).
	TargetStatus string
	Cadence      string // "Every 30 days (monthly)"
	Rate         string // "20%"
	Benefits     string
}

// TierFormProps is the add or edit form of a tier; the values are the
// user's input as typed (the rate as a percentage).
type TierFormProps struct {
	Form
	Action    string
	Prefix    string // element id prefix, so two forms can share a page
	Submit    string
	Name      string
	Rank      string
	TargetMin string
	TargetMax string
	Cadence   string
	Rate      string
	Benefits  string
}

// TiersProps is the settings page of the firm's tiers.
type TiersProps struct {
	Base  string
	Tiers []TierRow
	New   TierFormProps
}

// TierEditProps is the page that edits one tier.
type TierEditProps struct {
	Base  string
	ID    string
	Name  string // the tier's stored name, for the heading and delete button
	Count int
	Form  TierFormProps
}

// TierAssignAction is the action URL of a TierSelectForm: the recruiting
// route that assigns a tier, with the partner and (optionally) where to
// go back to afterwards.
func TierAssignAction(base, partnerID, next string) string {
	q := url.Values{"partner_id": {partnerID}}
	if next != "" {
		q.Set("next", next)
	}
	return base + "/recruiting/tier?" + q.Encode()
}

// tierSelectID is a unique id for the <select> of a TierSelectForm.
func tierSelectID(action string) string {
	if u, err := url.Parse(action); err == nil {
		if id := u.Query().Get("partner_id"); id != "" {
			return fieldID("", "tier-"+id)
		}
	}
	return fieldID("", "tier-"+action)
}

func tierTargetText(r TierRow) string {
	if r.TargetMin == 0 && r.TargetMax == 0 {
		return "No target"
	}
	return strconv.Itoa(r.TargetMin) + "–" + strconv.Itoa(r.TargetMax)
}

func tierTargetBadge(status string) (kind, text string) {
	switch status {
	case "below":
		return "warning", "Below target"
	case "over":
		return "danger", "Over target"
	case "at":
		return "success", "At target"
	}
	return "neutral", "No target"
}
