package view

import (
	"strconv"

	"github.com/allyway/allyway/internal/chart"
)

// CampaignFunnelCells are a campaign's results as text.
type CampaignFunnelCells struct {
	Leads, Qualified, Referrals, Won string
	Revenue                          string // "$12,000.00" or "$1,000.00 + EUR 500.00" or "—"
}

// CampaignRow is one campaign in a list.
type CampaignRow struct {
	URL      string
	Name     string
	Kind     string
	Partners string
	Dates    string
	Status   string
	StatusL  string
	Funnel   CampaignFunnelCells
}

// CampaignListProps is the firm's campaigns page.
type CampaignListProps struct {
	Base      string
	Status    string
	Partner   string
	Statuses  []Option
	Partners  []Option
	Rows      []CampaignRow
	Filtered  bool
	CanManage bool
}

// CampaignPartnerRow is one partner row of the campaign form.
type CampaignPartnerRow struct {
	PartnerID, Audience string
}

// CampaignRespRow is one responsibility row of the campaign form.
type CampaignRespRow struct {
	Task, Owner, Note string
}

// CampaignFormProps is the new/edit campaign form.
type CampaignFormProps struct {
	Form
	Base                                                                                             string
	Action                                                                                           string // where the form posts
	CancelURL                                                                                        string
	Submit                                                                                           string
	Name, Kind, Status, StartsOn, EndsOn, Description, OurAudience, Overlap, LeadRule, LeadRulesNote string
	PartnerRows                                                                                      []CampaignPartnerRow
	RespRows                                                                                         []CampaignRespRow
	Kinds, Statuses, PartnerOpts, Tasks, OwnerOpts, LeadRules                                        []Option
	LeadRuleHelp                                                                                     []Option // Value: rule label, Label: help
}

// CampaignResp is a responsibility as shown.
type CampaignResp struct {
	Task, Owner, Note string
}

// CampaignLeadRow is one lead in a campaign's table.
type CampaignLeadRow struct {
	URL         string // the lead's page ("" when none)
	Name        string
	Company     string
	Title       string
	Email       string
	Owner       string
	Status      string
	StatusL     string
	ReferralURL string
	ReferralRef string
}

// CampaignShowProps is one campaign's page (staff).
type CampaignShowProps struct {
	Base          string
	URL           string
	Name          string
	Kind          string
	Status        string
	StatusL       string
	Dates         string
	Partners      []string
	Description   string
	Resps         []CampaignResp
	ReachNet      string
	ReachFormula  string
	Audiences     []Option // Label: who, Value: audience
	Overlap       string
	LeadRule      string
	LeadRuleHelp  string
	LeadRulesNote string
	Funnel        CampaignFunnelCells
	FunnelChart   chart.Chart
	// Leads.
	Leads       []CampaignLeadRow
	LeadTotal   int
	Owner       string
	LeadStatus  string
	OwnerOpts   []Option
	StatusOpts  []Option
	CSVURL      string
	Filtered    bool
	CanManage   bool
	AddLead     CampaignLeadFormProps
	EditURL     string
	ImportURL   string
	LeadsAnchor string
}

// CampaignLeadFormProps is the form adding a lead by hand.
type CampaignLeadFormProps struct {
	Form
	Action                                      string
	Name, Email, Company, Title, Consent, Notes string
	Owner, Status                               string
	OwnerOpts, StatusOpts, ConsentOpts          []Option
	ShowOwner                                   bool
}

// CampaignLeadProps is one lead's page (staff): its details, the update
// form and the way to turn it into a referral.
type CampaignLeadProps struct {
	Form
	CampaignName, CampaignURL                                  string
	Action                                                     string
	Name, Email, Company, Title, Consent, Notes, Source, Added string
	Owner, Status                                              string
	OwnerL, StatusL                                            string
	OwnerOpts, StatusOpts                                      []Option
	Converted                                                  bool
	ReferralURL, ReferralRef                                   string
	ConvertURL                                                 string
	CanManage                                                  bool
}

// CampaignConvertProps is the prefilled referral made from a lead.
type CampaignConvertProps struct {
	Form
	CampaignName, CampaignURL, LeadURL string
	Action                             string
	Direction                          string // inbound | outbound
	DirectionText                      string
	Token                              string
	PartnerID                          string
	PartnerOpts                        []Option
	PartnerFixed                       string // the owning partner's name when the partner is given
	ClientCompany, ClientDomain        string
	ContactName, ContactEmail, Phone   string
	Challenge, Context, Value          string
	ServiceID                          string
	Services                           []Option
}

// PortalCampaignRow is one of the partner's campaigns in the portal.
type PortalCampaignRow struct {
	URL, Name, Kind, Dates, Status, StatusL string
	Leads, Mine                             string
}

// PortalCampaignListProps is the portal's campaigns page.
type PortalCampaignListProps struct {
	Rows []PortalCampaignRow
}

// PortalLeadRow is one lead in the portal, with its update form when the
// partner may act on it.
type PortalLeadRow struct {
	ID, Name, Company, Title, Email, Owner, Status, StatusL string
	Mine, Converted                                         bool
	Action                                                  string
	StatusOpts                                              []Option
}

// PortalCampaignProps is one campaign in the portal.
type PortalCampaignProps struct {
	Name, Kind, StatusL, Dates, Description string
	FirmName                                string
	Resps                                   []CampaignResp
	LeadRule, LeadRuleHelp, LeadRulesNote   string
	Leads                                   []PortalLeadRow
	Funnel                                  CampaignFunnelCells
	AddLead                                 CampaignLeadFormProps
	ListURL                                 string
}

func campaignItoa(n int) string { return strconv.Itoa(n) }

// campaignTone is the badge tone of a campaign status.
func campaignTone(status string) string {
	switch status {
	case "planned":
		return "info"
	case "active":
		return "success"
	case "cancelled":
		return "danger"
	default:
		return "neutral"
	}
}

// leadTone is the badge tone of a lead's follow-up status.
func leadTone(status string) string {
	switch status {
	case "new":
		return "info"
	case "contacted":
		return "warning"
	case "qualified", "converted":
		return "success"
	default:
		return "neutral"
	}
}
