package view

import "strconv"

// Props of the staff referral pages (referral_*.templ): the list, the
// board, the at-risk view, the conflicts queue, a referral's page, the new
// referral form (inbound on a partner's behalf, or outbound to a partner)
// and a partner's referrals tab. Handlers in internal/server/referral.go
// fill them; every text is ready to show (dates in the firm's time zone).

// ReferralNav is the referrals area's sub-navigation: List, Board, At risk,
// Conflicts (with the open count) and the "log / refer" buttons.
type ReferralNav struct {
	Base      string // /t/{slug}
	Active    string // list, board, at-risk, conflicts
	Conflicts int    // open conflicts, shown as a count badge
	AtRisk    int    // open referrals breached or due soon
	CanManage bool   // may log and send referrals
}

type referralTab struct{ Key, Label, Suffix string }

var referralTabs = []referralTab{
	{"list", "List", ""},
	{"board", "Board", "/board"},
	{"at-risk", "At risk", "/at-risk"},
	{"conflicts", "Conflicts", "/conflicts"},
}

func (n ReferralNav) tabURL(t referralTab) string { return n.Base + "/referrals" + t.Suffix }

// tabCount is the badge of a tab (0 = none).
func (n ReferralNav) tabCount(key string) int {
	switch key {
	case "conflicts":
		return n.Conflicts
	case "at-risk":
		return n.AtRisk
	}
	return 0
}

// ReferralRow is one referral in a table or on a board card.
type ReferralRow struct {
	ID        string
	Ref       string // R-1042
	Company   string
	PartnerID string
	Partner   string
	Direction string // inbound, outbound
	Status    string
	// StatusLabel names the status ("Meeting held").
	StatusLabel string
	Value       string // "$25,000.00" or ""
	Owner       string
	Submitted   string
	// Due is the next unmet SLA clock: "due in 3 h" / "overdue by 2 h"
	// ("" when none); DueTone is danger (breached), warning (at risk) or
	// neutral; DueTitle names the clock and its time.
	Due      string
	DueTone  string
	DueTitle string
	Conflict bool // an open attribution conflict
	Urgency  string
}

// ReferralListProps is the referral list with its filter form.
type ReferralListProps struct {
	Nav  ReferralNav
	Rows []ReferralRow
	// The filter form, as submitted.
	Q, Direction, Partner, Owner, Sort, From, To string
	Open, AtRisk, Breached, ConflictsOnly        bool
	Statuses                                     []Option // every status with its count in Label
	Selected                                     map[string]bool
	Directions, Partners, Owners, Sorts          []Option
	Columns                                      []SortColumn
	Pagination                                   PaginationProps
	CSVURL                                       string // the export of exactly the filtered, sorted set
	ClearURL                                     string
	Filtered                                     bool
	Total                                        int
	TotalMore                                    bool // Total is a lower bound: more match
	// DateError explains a from/to date that could not be read (ignored).
	DateError string
}

// ReferralColumn is one column of the board.
type ReferralColumn struct {
	Key   string
	Label string
	Count int // in the column overall (Cards may show fewer)
	Cards []ReferralRow
	// MoreURL lists the column in the list view when it has more cards than shown.
	MoreURL string
	Empty   string
}

// ReferralBoardProps is the board by stage.
type ReferralBoardProps struct {
	Nav                          ReferralNav
	Columns                      []ReferralColumn
	Direction, Partner, Owner    string
	Directions, Partners, Owners []Option
	Filtered                     bool
	ClearURL                     string
	RecentDays                   int // won/lost columns show closes of the last N days
}

// ReferralAtRiskProps is the at-risk view: open referrals whose next clock
// is breached or due within the reminder window, most urgent first.
type ReferralAtRiskProps struct {
	Nav           ReferralNav
	Rows          []ReferralRow
	ReminderHours int
	SettingsURL   string // "" when the role can't change the SLA
}

// ReferralSide is one referral of a conflict.
type ReferralSide struct {
	ID, Ref, Company, Domain, Partner, Contact, Submitted, Status string
	StatusLabel, Direction                                        string
}

// ReferralConflictForm resolves an attribution conflict: which partner is
// credited, and a note (told kindly to the other partner).
type ReferralConflictForm struct {
	Form
	Action   string // POST URL
	Key      string // the referral id, for element ids
	Back     string // "conflicts" when posted from the queue
	Credited string // partner id chosen (the rule's default at first)
	Note     string
	Options  []Option // the partners involved
}

// ReferralConflictItem is one open conflict in the queue.
type ReferralConflictItem struct {
	This  ReferralSide
	Other *ReferralSide // nil when the match is an existing client, not a referral
	Note  string        // why it was flagged ("already a client", "same domain as R-1001")
	// Default explains the rule's choice ("First introduction: R-1001 by Brightline was earlier").
	Default string
	Resolve ReferralConflictForm
}

// ReferralConflictsProps is the conflicts queue.
type ReferralConflictsProps struct {
	Nav       ReferralNav
	Items     []ReferralConflictItem
	RuleLabel string
	CanManage bool
}

// ReferralClockRow is an SLA clock on a referral's page.
type ReferralClockRow struct {
	Label  string // "First response"
	Due    string // the due time in the firm's zone
	State  string // met, breached, at_risk, open
	Detail string // "met 2 h early", "overdue by 3 h", "due in 5 h"
}

// ReferralAnswerRow is a checklist answer.
type ReferralAnswerRow struct {
	Question string
	Required bool
	Answer   bool
}

// ReferralEventRow is a timeline entry.
type ReferralEventRow struct {
	At               string
	Who              string
	What             string // "Moved from Submitted to Acknowledged", "Internal note", …
	Reason           string
	Body             string
	VisibleToPartner bool
	Kind             string
}

// ReferralMoveForm is the pipeline panel: forward moves, won (with the
// engagement) and lost/declined (with a reason and a note for the partner).
// Which says which of the three was submitted, so errors show there.
type ReferralMoveForm struct {
	Form
	Action  string
	Which   string   // advance, won, close
	Advance []Option // legal forward stages (not closing)
	CanWin  bool
	Close   []Option // legal closing stages: lost, declined
	Reasons []Option
	Kinds   []Option
	// Input kept on 422.
	To, Reason, NoteForPartner, NoteInternal string
	EngKind, EngName, EngValue, EngStart     string
	EngScope                                 string
	// Guardrail is a reminder of what the profession policy needs first.
	Guardrail string
	// Outbound: the partner usually moves it in their portal.
	Outbound bool
}

// errFor is the form's error for a field, only on the form that was sent.
func (m ReferralMoveForm) errFor(which, field string) string {
	if m.Which != which {
		return ""
	}
	return m.Err(field)
}

// subForm is the errors one of the three forms shows in its summary: the
// move's "to" message is shown once, above them.
func (m ReferralMoveForm) subForm(which string) Form {
	if m.Which != which {
		return Form{}
	}
	f := Form{NonField: m.NonField}
	for k, v := range m.Errors {
		if k == "to" {
			continue
		}
		if f.Errors == nil {
			f.Errors = FieldErrors{}
		}
		f.Errors[k] = v
	}
	return f
}

// valueFor keeps the input only on the form that was sent.
func (m ReferralMoveForm) valueFor(which, v string) string {
	if m.Which != which {
		return ""
	}
	return v
}

// ReferralOwnerForm sets who owns and who originated the referral.
type ReferralOwnerForm struct {
	Form
	Owner, Originator string
	Staff             []Option
}

// ReferralAssistForm names the assisting partners.
type ReferralAssistForm struct {
	Form
	Partners []Option
	Selected map[string]bool
}

// ReferralGuardrails are the profession policy's checks on a referral.
type ReferralGuardrails struct {
	Show bool
	// Fee disclosure to the client (law client disclosure / accounting fee disclosure).
	Fee           bool
	FeeDone       string // when recorded, "" when not
	FeeWhy        string
	Conflicts     bool
	ConflictsDone string
	ConflictsWhy  string
	Attest        bool // the accounting attest-client toggle is shown
	AttestOn      bool
	AttestWhy     string
	Profession    string
	Form          Form
}

// ReferralNoteForm is one of the two note forms.
type ReferralNoteForm struct {
	Form
	Body string
}

// ReferralFitForm is the quality feedback on a closed referral.
type ReferralFitForm struct {
	Form
	Show    bool // closed referrals only
	Fit     string
	Note    string
	Current string // "Good fit" / "Not a good fit" / ""
}

// ReferralIntro is the ready-made introduction email of an outbound referral.
type ReferralIntro struct {
	Subject string
	Body    string
	To      string // "Name <email>" of the partner contact, "" when none has an email
	Open    bool   // shown expanded (a new referral)
	Sent    string // when it was last sent, "" if never
}

// ReferralSuggestion is a partner suggested for an outbound referral.
type ReferralSuggestion struct {
	PartnerID   string
	Name        string
	Tier        string
	Status      string
	Rank        int
	Score       int
	Reasons     []string
	Paused      bool
	PauseReason string
	Conversion  int // percent
	Received    int
	Sent        int
	Selected    bool
}

// ReferralHandoff offers to hand an outbound referral to the next partner.
type ReferralHandoff struct {
	Form
	Why         string // "declined: …" / "no answer within 48 h"
	Suggestions []ReferralSuggestion
	// Partners is a plain choice when the referral names no service.
	Partners []Option
	Chosen   string
}

// ReferralEngagementRow is what a won referral became.
type ReferralEngagementRow struct {
	Kind, Name, Value, Started, Scope string
}

// ReferralShowProps is a referral's page.
type ReferralShowProps struct {
	Base      string // /t/{slug}
	URL       string // /t/{slug}/referrals/{id}
	CanManage bool
	Ref       string
	Company   string
	Domain    string
	PartnerID string
	Partner   string
	Direction string
	Status    string
	// StatusLabel names the status.
	StatusLabel string
	Urgency     string
	// UrgencyLabel names the urgency ("High").
	UrgencyLabel string
	Source       string
	Submitted    string
	Service      string
	Value        string
	Challenge    string
	Context      string
	Promises     string
	Closed       string
	CloseWhy     string
	Clocks       []ReferralClockRow
	Checklist    []ReferralAnswerRow
	// The referred person: personal data, kept apart.
	ContactName, ContactEmail, ContactPhone string
	ContactErased                           bool
	// Outbound: the partner's answer.
	PartnerAnswer string
	// Attribution.
	Credited       string
	ConflictStatus string // none, open, resolved
	ConflictNote   string
	ConflictWith   *ReferralSide
	ClaimExpires   string
	Resolve        *ReferralConflictForm
	// Inside the firm.
	Owner, Originator string
	OwnerForm         ReferralOwnerForm
	Assists           []string
	AssistForm        ReferralAssistForm
	Guardrails        ReferralGuardrails
	Move              ReferralMoveForm
	NoteInternal      ReferralNoteForm
	NotePartner       ReferralNoteForm
	Fit               ReferralFitForm
	Engagements       []ReferralEngagementRow
	Timeline          []ReferralEventRow
	Intro             *ReferralIntro
	Handoff           *ReferralHandoff

	// NothingEarned says why the won referral has earned nothing yet
	// (ledger.WhyNothingEarned), "" once it has; NoAgreement when the
	// reason is that no agreement was in force.
	NothingEarned string
	NoAgreement   bool
}

// ReferralQuestionRow is a checklist question on the new referral form.
type ReferralQuestionRow struct {
	ID       string
	Question string
	Help     string
	Required bool
	Checked  bool
}

// ReferralNewProps is the new referral form: inbound (logged on a
// partner's behalf) or outbound (sent to a suggested partner).
type ReferralNewProps struct {
	Form
	Base      string
	Direction string // inbound, outbound
	Token     string // one-time form token: a resubmission never makes a second referral
	// Inbound: the partner who referred; outbound: the chosen suggestion.
	PartnerID string
	Partners  []Option
	ServiceID string
	Services  []Option
	// Outbound: the partners covering the service (ServiceID set).
	Suggestions []ReferralSuggestion
	// The client.
	ClientCompany, ClientDomain, ContactName, ContactEmail, ContactPhone string
	Challenge, Context, Promises, Urgency, Value                         string
	Urgencies                                                            []Option
	Questions                                                            []ReferralQuestionRow
	Owner, Originator                                                    string
	Staff                                                                []Option
}

// ReferralPartnerProps is a partner's referrals tab.
type ReferralPartnerProps struct {
	Header     PartnerHeaderProps
	Base       string
	Received   int // inbound: they referred to us
	Sent       int // outbound: we referred to them
	WonIn      int
	WonOut     int
	Open       int
	Rows       []ReferralRow
	Pagination PaginationProps
	ListURL    string // the full list filtered to this partner
	LogURL     string // log a referral from them ("" when the role can't)
	ReferURL   string // refer a client to them ("" when the role can't)
}

// DirectionLabel names a direction from the firm's side.
func DirectionLabel(d string) string {
	switch d {
	case "inbound":
		return "From partner"
	case "outbound":
		return "To partner"
	}
	return d
}

// referralStatusTone is a status's badge tone.
func referralStatusTone(s string) string {
	switch s {
	case "won":
		return "success"
	case "lost", "declined":
		return "danger"
	case "submitted":
		return "warning"
	default:
		return "info"
	}
}

// clockTone is the badge tone of an SLA clock state.
func clockTone(state string) string {
	switch state {
	case "met":
		return "success"
	case "breached":
		return "danger"
	case "at_risk":
		return "warning"
	}
	return "neutral"
}

var clockStateLabels = map[string]string{"met": "Met", "breached": "Breached", "at_risk": "Due soon", "open": "Open"}

func refItoa(n int) string { return strconv.Itoa(n) }

// refCount is "3 referrals" / "1 referral".
func refCount(n int) string {
	if n == 1 {
		return "1 referral"
	}
	return strconv.Itoa(n) + " referrals"
}

// suggestionID is the radio id of a suggestion.
func suggestionID(prefix, id string) string { return prefix + "-" + id }

// referralPlainColumns are the table headers without sorting links.
func referralPlainColumns(withPartner bool) []SortColumn {
	var cols []SortColumn
	for _, l := range []string{"Number", "Company", "Partner", "Direction", "Status", "Value", "Owner", "Submitted", "Next due"} {
		if l == "Partner" && !withPartner {
			continue
		}
		cols = append(cols, SortColumn{Label: l})
	}
	return cols
}

// referralQuestionLabel is a checklist question with its "required" mark.
func referralQuestionLabel(q ReferralQuestionRow) string {
	if q.Required {
		return q.Question + " (required from partners)"
	}
	return q.Question
}
