package server

import (
	"context"
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/ledger"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/policy"
	"github.com/allyway/allyway/internal/referral"
	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/web/view"
)

// A referral's page: clocks, facts, attribution, people, moves, notes and the timeline.

// referralShow is a referral's page.
func (s *Server) referralShow(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderReferral(w, r, http.StatusOK, id, nil)
}

// renderReferral loads and shows a referral; edit fills in a form's input
// and errors when it is re-shown.
func (s *Server) renderReferral(w http.ResponseWriter, r *http.Request, status int, id uuid.UUID, edit func(*view.ReferralShowProps)) {
	ctx := r.Context()
	now := s.now()
	var d view.ReferralShowProps
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) error {
		ref, err := referral.Get(ctx, tx, sc.Tenant.ID, id)
		if err != nil {
			return err
		}
		d, err = s.referralProps(ctx, tx, sc, ref, now)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if edit != nil {
		edit(&d)
	}
	s.render(w, r, status, view.ReferralShowPage(s.page(r, d.Ref+" · "+d.Company, "referrals"), d))
}

var eventLabels = map[string]string{
	"submitted": "Submitted", "note": "Internal note", "partner_note": "Note shared with the partner",
	"conflict": "Possible duplicate or conflict", "attribution": "Attribution decided", "sla_reminder": "SLA reminder",
	"sla_breach": "SLA breached", "owner": "People changed", "fit": "Fit feedback", "guardrail": "Guardrail recorded",
	"partner_accepted": "Partner accepted", "partner_declined": "Partner declined", "reassigned": "Handed to another partner",
	"engagement": "Engagement recorded", "claim_lapsed": "Claim lapsed",
}

// eventWhat says what a timeline entry was.
func eventWhat(e referral.Event) string {
	if e.Kind == "status" {
		if e.FromStatus == "" {
			return "Moved to " + referral.StatusLabel(e.ToStatus)
		}
		return "Moved from " + referral.StatusLabel(e.FromStatus) + " to " + referral.StatusLabel(e.ToStatus)
	}
	if e.Kind == "partner_note" || (e.Kind == "note" && e.VisibleToPartner) {
		if e.ActorKind == "partner" {
			return "Note from the partner"
		}
		return "Note shared with the partner"
	}
	return orText(eventLabels[e.Kind], e.Kind)
}

func eventWho(e referral.Event) string {
	switch {
	case e.ActorName != "" && e.ActorKind == "partner":
		return e.ActorName + " (partner)"
	case e.ActorName != "":
		return e.ActorName
	case e.ActorKind == "system":
		return "Allyway"
	case e.ActorKind == "api":
		return "API"
	case e.ActorKind == "partner":
		return "The partner"
	}
	return "Someone no longer on the team"
}

// guardrailRules are the profession policy rules a referral page shows.
func guardrailProps(set policy.Set, ref referral.Referral, loc *time.Location) view.ReferralGuardrails {
	g := view.ReferralGuardrails{Profession: orText(policy.ProfessionLabels[set.Profession], set.Profession)}
	for _, key := range []string{policy.LawClientDisclosure, policy.AcctFeeDisclosure} {
		if set.Active(key) {
			g.Fee = true
			if ru, ok := set.Rule(key); ok {
				g.FeeWhy = ru.Explanation
			}
		}
	}
	if set.Active(policy.LawConflictsCheck) {
		g.Conflicts = true
		if ru, ok := set.Rule(policy.LawConflictsCheck); ok {
			g.ConflictsWhy = ru.Explanation
		}
	}
	if set.Active(policy.AcctNoCommissionAttest) {
		g.Attest, g.AttestOn = true, ref.AttestClient
		if ru, ok := set.Rule(policy.AcctNoCommissionAttest); ok {
			g.AttestWhy = ru.Explanation
		}
	}
	if ref.FeeDisclosedAt != nil {
		g.FeeDone = refDate(*ref.FeeDisclosedAt, loc)
	}
	if ref.ConflictsClearedAt != nil {
		g.ConflictsDone = refDate(*ref.ConflictsClearedAt, loc)
	}
	g.Show = g.Fee || g.Conflicts || g.Attest
	return g
}

// guardrailPending says what the policy still needs before accept/won.
func guardrailPending(g view.ReferralGuardrails) string {
	var need []string
	if g.Fee && g.FeeDone == "" {
		need = append(need, "the client's fee disclosure")
	}
	if g.Conflicts && g.ConflictsDone == "" {
		need = append(need, "the conflicts check")
	}
	if len(need) == 0 {
		return ""
	}
	return "Your firm's policy needs " + strings.Join(need, " and ") + " recorded before this referral is acknowledged or won."
}

var engagementKinds = []view.Option{{Value: "project", Label: "Project"}, {Value: "retainer", Label: "Retainer"}}

var engagementKindLabels = map[string]string{"project": "Project", "retainer": "Retainer"}

func reasonOptions() []view.Option {
	out := make([]view.Option, 0, len(referral.CloseReasons))
	for _, re := range referral.CloseReasons {
		out = append(out, view.Option{Value: re, Label: referral.ReasonLabel(re)})
	}
	return out
}

// referralProps fills a referral's page.
func (s *Server) referralProps(ctx context.Context, tx pgx.Tx, sc *staffCtx, ref referral.Referral, now time.Time) (view.ReferralShowProps, error) {
	tid := sc.Tenant.ID
	set, err := referral.GetSettings(ctx, tx, tid)
	if err != nil {
		return view.ReferralShowProps{}, err
	}
	loc := set.Location()
	base := "/t/" + sc.Tenant.Slug
	d := view.ReferralShowProps{Base: base, URL: referralPath(sc, ref.ID), CanManage: sc.Role.Can(auth.ManagePartners),
		Ref: ref.Ref(), Company: ref.ClientCompany, Domain: ref.ClientDomain, PartnerID: ref.PartnerID.String(),
		Partner: ref.PartnerName, Direction: ref.Direction, Status: ref.Status, StatusLabel: referral.StatusLabel(ref.Status),
		Urgency: ref.Urgency, UrgencyLabel: urgencyLabels[ref.Urgency], Source: ref.Source, Submitted: refTime(ref.SubmittedAt, loc), Service: ref.ServiceName,
		Value: referralValue(ref), Challenge: ref.Challenge, Context: ref.Context, Promises: ref.PromisesMade,
		ContactName: ref.Contact.Name, ContactEmail: ref.Contact.Email, ContactPhone: ref.Contact.Phone,
		ContactErased: ref.Contact.Erased, Credited: ref.CreditedPartnerName, ConflictStatus: ref.ConflictStatus,
		ConflictNote: ref.ConflictNote, Owner: ref.OwnerName, Originator: ref.OriginatorName}
	if ref.ClosedAt != nil {
		d.Closed = refTime(*ref.ClosedAt, loc)
	}
	if ref.CloseReason != "" {
		d.CloseWhy = referral.ReasonLabel(ref.CloseReason)
	}
	if ref.ClaimExpiresAt != nil && ref.Open() {
		d.ClaimExpires = refDate(*ref.ClaimExpiresAt, loc)
	}
	switch {
	case ref.PartnerAcceptedAt != nil:
		d.PartnerAnswer = "Accepted " + refTime(*ref.PartnerAcceptedAt, loc)
	case ref.PartnerDeclinedAt != nil:
		d.PartnerAnswer = "Declined " + refTime(*ref.PartnerDeclinedAt, loc)
		if ref.PartnerDeclineReason != "" {
			d.PartnerAnswer += ": " + ref.PartnerDeclineReason
		}
	case ref.Direction == "outbound":
		d.PartnerAnswer = "Not answered yet"
	}
	for _, c := range ref.Clocks(now) {
		row := view.ReferralClockRow{Label: referral.ClockLabel(c.Name), Due: refTime(c.DueAt, loc), State: "open"}
		switch {
		case c.MetAt != nil && c.Breached:
			row.State, row.Detail = "breached", "met "+spanWords(c.MetAt.Sub(c.DueAt))+" late, "+refTime(*c.MetAt, loc)
		case c.MetAt != nil:
			row.State, row.Detail = "met", refTime(*c.MetAt, loc)
		case c.Breached && !ref.Open():
			row.State, row.Detail = "breached", "not met before the referral closed"
		case c.Breached:
			row.State, row.Detail = "breached", dueWords(now, c.DueAt)
		case !ref.Open():
			row.State, row.Detail = "open", "stopped when the referral closed"
		case c.AtRisk:
			row.State, row.Detail = "at_risk", dueWords(now, c.DueAt)
		default:
			row.Detail = dueWords(now, c.DueAt)
		}
		d.Clocks = append(d.Clocks, row)
	}
	for _, a := range ref.Checklist {
		d.Checklist = append(d.Checklist, view.ReferralAnswerRow{Question: a.Question, Required: a.Required, Answer: a.Answer})
	}

	// Attribution.
	if ref.ConflictWithID != nil {
		other, err := referral.Get(ctx, tx, tid, *ref.ConflictWithID)
		if err != nil && apperr.Code(err) != apperr.ENotFound {
			return d, err
		}
		if err == nil {
			side := referralSide(other, loc)
			d.ConflictWith = &side
		}
	}
	if ref.ConflictStatus == "open" && d.CanManage {
		item, err := conflictItem(ctx, tx, sc, set, ref, loc)
		if err != nil {
			return d, err
		}
		d.Resolve = &item.Resolve
	}

	// People.
	staff, err := tenant.ListStaff(ctx, tx, tid)
	if err != nil {
		return d, err
	}
	d.OwnerForm = view.ReferralOwnerForm{Staff: staffOptions(staff)}
	if ref.OwnerUserID != nil {
		d.OwnerForm.Owner = ref.OwnerUserID.String()
	}
	if ref.OriginatorUserID != nil {
		d.OwnerForm.Originator = ref.OriginatorUserID.String()
	}
	partners, err := partner.List(ctx, tx, tid)
	if err != nil {
		return d, err
	}
	d.AssistForm = view.ReferralAssistForm{Selected: map[string]bool{}}
	for _, a := range ref.Assists {
		d.Assists = append(d.Assists, a.PartnerName)
		d.AssistForm.Selected[a.PartnerID.String()] = true
	}
	for _, p := range partners {
		if p.ID == ref.PartnerID || (p.Status == "ended" && !d.AssistForm.Selected[p.ID.String()]) {
			continue
		}
		d.AssistForm.Partners = append(d.AssistForm.Partners, view.Option{Value: p.ID.String(), Label: p.Name})
	}

	// Guardrails and the move form.
	pol, err := policy.Load(ctx, tx, tid)
	if err != nil {
		return d, err
	}
	d.Guardrails = guardrailProps(pol, ref, loc)
	d.Move = view.ReferralMoveForm{Action: d.URL + "/move", Reasons: reasonOptions(), Kinds: engagementKinds}
	for _, to := range referral.Moves(ref.Status) {
		switch to {
		case referral.Won:
			d.Move.CanWin = true
		case referral.Lost, referral.Declined:
			d.Move.Close = append(d.Move.Close, view.Option{Value: to, Label: referral.StatusLabel(to)})
		default:
			d.Move.Advance = append(d.Move.Advance, view.Option{Value: to, Label: referral.StatusLabel(to)})
		}
	}
	// The profession guardrails are about referrals we take on (inbound).
	if ref.Direction == "inbound" {
		if ref.Open() {
			d.Move.Guardrail = guardrailPending(d.Guardrails)
		}
	} else {
		d.Guardrails.Show = false
		d.Move.Outbound = true
	}

	// Fit feedback on closed referrals.
	d.Fit = view.ReferralFitForm{Show: !ref.Open(), Fit: ref.Fit, Note: ref.FitNote}
	switch ref.Fit {
	case "good":
		d.Fit.Current = "Good fit"
	case "poor":
		d.Fit.Current = "Not a good fit"
	}
	if d.Fit.Current != "" && ref.FitNote != "" {
		d.Fit.Current += ": " + ref.FitNote
	}

	if ref.Status == referral.Won {
		engs, err := referral.ListEngagements(ctx, tx, tid, &ref.ID, nil, 100, time.Time{}, uuid.Nil)
		if err != nil {
			return d, err
		}
		for _, e := range engs {
			d.Engagements = append(d.Engagements, view.ReferralEngagementRow{Kind: orText(engagementKindLabels[e.Kind], e.Kind),
				Name: e.Name, Value: moneyText(e.ValueCents, e.Currency), Started: e.StartedOn.Format("2 Jan 2006"), Scope: e.Scope})
		}
		why, err := ledger.WhyNothingEarned(ctx, tx, tid, []uuid.UUID{ref.ID})
		if err != nil {
			return d, err
		}
		d.NothingEarned = why[ref.ID]
		d.NoAgreement = strings.HasPrefix(d.NothingEarned, ledger.WhyNoAgreementPrefix)
	}

	events, err := referral.Timeline(ctx, tx, tid, ref.ID)
	if err != nil {
		return d, err
	}
	introSent := ""
	for i := len(events) - 1; i >= 0; i-- { // newest first
		e := events[i]
		d.Timeline = append(d.Timeline, view.ReferralEventRow{At: refTime(e.At, loc), Who: eventWho(e), What: eventWhat(e),
			Reason: reasonText(e.Reason), Body: e.Body, VisibleToPartner: e.VisibleToPartner, Kind: e.Kind})
		if introSent == "" && e.Kind == "note" && strings.HasPrefix(e.Body, introNotePrefix) {
			introSent = refTime(e.At, loc)
		}
	}

	if ref.Direction == "outbound" && ref.Open() && ref.PartnerDeclinedAt == nil {
		intro, err := s.introFor(ctx, tx, sc, ref)
		if err != nil {
			return d, err
		}
		intro.Sent = introSent
		intro.Open = introSent == "" && ref.PartnerAcceptedAt == nil && ref.PartnerDeclinedAt == nil
		d.Intro = &intro
	}
	if ref.NeedsHandOn(now) {
		h, err := handoffFor(ctx, tx, sc, set, ref, partners)
		if err != nil {
			return d, err
		}
		d.Handoff = &h
	}
	return d, nil
}

// reasonText names a close reason; other reasons on the timeline are
// internal codes (the entry's body says it in words) and are not shown.
func reasonText(s string) string {
	if referral.ValidCloseReason(s) {
		return referral.ReasonLabel(s)
	}
	return ""
}

// introNotePrefix starts the internal note recorded when the introduction
// email is sent, so the page can say when it went.
const introNotePrefix = "Introduction email sent to "

// introFor drafts an outbound referral's introduction email to the
// partner's primary contact (or another current contact with an email; with
// none, a portal user of the partner, admins first).
func (s *Server) introFor(ctx context.Context, tx pgx.Tx, sc *staffCtx, ref referral.Referral) (view.ReferralIntro, error) {
	contacts, err := partner.ListContacts(ctx, tx, sc.Tenant.ID, ref.PartnerID)
	if err != nil {
		return view.ReferralIntro{}, err
	}
	var to *partner.Contact
	for i, c := range contacts {
		if !c.Active() || c.Email == "" {
			continue
		}
		if to == nil || (c.IsPrimary && !to.IsPrimary) {
			to = &contacts[i]
		}
	}
	contactName, addr := "", ""
	if to != nil {
		contactName = to.Name
		addr = (&mail.Address{Name: to.Name, Address: to.Email}).String()
	} else {
		// No contact on file: the partner's portal users (admins first).
		users, err := tenant.ListPortal(ctx, tx, sc.Tenant.ID, ref.PartnerID)
		if err != nil {
			return view.ReferralIntro{}, err
		}
		slices.SortStableFunc(users, func(a, b tenant.PortalMember) int {
			return cmpBool(a.Role == auth.RolePartnerAdmin, b.Role == auth.RolePartnerAdmin)
		})
		if len(users) > 0 {
			contactName = users[0].Name
			addr = (&mail.Address{Name: users[0].Name, Address: users[0].Email}).String()
		}
	}
	ourName := ""
	if u := userFrom(ctx); u != nil {
		ourName = orText(u.Name, u.Email)
	}
	subject, body := referral.IntroEmail(ref, contactName, ourName, sc.Tenant.Name)
	return view.ReferralIntro{Subject: subject, Body: body, To: addr}, nil
}

// cmpBool orders true before false.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

// handoffFor offers the next partners for an outbound referral the partner
// declined or let lapse: the service's suggestions without this partner,
// or (no service named) any partner who can take referrals.
func handoffFor(ctx context.Context, tx pgx.Tx, sc *staffCtx, set referral.Settings, ref referral.Referral, partners []partner.Partner) (view.ReferralHandoff, error) {
	h := view.ReferralHandoff{}
	switch {
	case ref.PartnerDeclinedAt != nil:
		h.Why = ref.PartnerName + " declined this referral"
		if ref.PartnerDeclineReason != "" {
			h.Why += ": " + ref.PartnerDeclineReason
		}
		h.Why += ". Hand it to the next partner so the client isn't left waiting."
	default:
		h.Why = ref.PartnerName + " did not answer within " + strconv.Itoa(set.PartnerResponseHours) + " hours. Hand it to the next partner so the client isn't left waiting."
	}
	if ref.ServiceID != nil {
		sugg, err := referral.Suggest(ctx, tx, sc.Tenant.ID, *ref.ServiceID, []uuid.UUID{ref.PartnerID})
		if err != nil {
			return h, err
		}
		h.Suggestions = suggestionRows(sugg, "")
		return h, nil
	}
	h.Partners = partnerOptions(partners, true, ref.PartnerID)
	return h, nil
}

func suggestionRows(ss []referral.Suggestion, chosen string) []view.ReferralSuggestion {
	out := make([]view.ReferralSuggestion, 0, len(ss))
	for _, s := range ss {
		out = append(out, view.ReferralSuggestion{PartnerID: s.PartnerID.String(), Name: s.Name, Tier: s.TierName,
			Status: s.Status, Rank: s.Rank, Score: s.Score, Reasons: s.Reasons, Paused: s.Paused, PauseReason: s.PauseReason,
			Conversion: s.Conversion, Received: s.Received, Sent: s.Sent, Selected: !s.Paused && s.PartnerID.String() == chosen})
	}
	return out
}
