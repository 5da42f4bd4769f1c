package server

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/agreement"
	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/ledger"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/policy"
	"github.com/allyway/allyway/internal/referral"
	"github.com/allyway/allyway/web/view"
)

// portalReferralRoutes are a partner's referrals in a firm's portal. Every
// portal user (admin or member) refers clients and follows them: the list,
// "refer a client", a referral's page with its timeline and a note form,
// and — for referrals the firm sent the partner — accept / decline and the
// stage updates. The partner is always the request's portal membership,
// never a form field; another partner's referral is not found.
func (s *Server) portalReferralRoutes(r chi.Router) {
	r.Route("/referrals", func(r chi.Router) {
		r.Use(s.requireCap(auth.ViewPortal))
		r.Get("/", s.portalReferralList)
		r.Get("/new", s.portalReferralNew)
		r.Post("/", s.portalReferralCreate)
		r.Route("/{id}", func(r chi.Router) {
			r.Get("/", s.portalReferralShow)
			r.Post("/notes", s.portalReferralNote)
			r.Post("/accept", s.portalReferralAccept)
			r.Post("/decline", s.portalReferralDecline)
			r.Post("/stage", s.portalReferralStage)
		})
	})
}

const portalRefPageSize = 25

func portalBase(pc *portalCtx) string { return "/p/" + pc.Tenant.Slug }

func portalRefURL(pc *portalCtx, id uuid.UUID) string {
	return portalBase(pc) + "/referrals/" + id.String()
}

// portalRefNotifier is what the referral writes need to queue their emails.
func (s *Server) portalRefNotifier() referral.Notifier {
	return referral.Notifier{Outbox: s.Outbox, BaseURL: s.Config.BaseURL, Now: s.now}
}

// responsePromise is the first-response SLA in words: "24 business hours".
func responsePromise(st referral.Settings) string {
	h := st.FirstResponseHours
	if h <= 0 {
		h = referral.DefaultSettings().FirstResponseHours
	}
	unit := "hours"
	if h == 1 {
		unit = "hour"
	}
	if st.SLAClock == "business" {
		unit = "business " + unit
	}
	return strconv.Itoa(h) + " " + unit
}

// receivedMessage is what a partner is told when a referral is in (also
// when the same form came again): the promise, or — when the client may
// already be in touch with the firm — that attribution is being checked.
func receivedMessage(ref referral.Referral, st referral.Settings) (kind, msg string) {
	if ref.ConflictStatus == "open" {
		return "info", "Received. This client may already be in touch with us; we'll confirm attribution within " +
			responsePromise(st) + "."
	}
	return "success", "Received — we respond within " + responsePromise(st) + "."
}

// ---------- the list ----------

// portalReferralList shows the partner's referrals, open (default), closed
// or all, both ways or one.
func (s *Server) portalReferralList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pc := portalFrom(ctx)
	q := r.URL.Query()
	d := view.PortalReferralListProps{Base: portalBase(pc), FirmName: pc.Tenant.Name, Show: q.Get("show"), Direction: q.Get("direction")}
	if !slices.Contains([]string{"open", "closed", "all"}, d.Show) {
		d.Show = "open"
	}
	if d.Direction != "inbound" && d.Direction != "outbound" {
		d.Direction = ""
	}
	page, _ := strconv.Atoi(q.Get("page"))
	if page < 1 {
		page = 1
	}
	pid := pc.Member.PartnerID
	f := referral.Filter{PartnerID: &pid, Direction: d.Direction, Limit: portalRefPageSize, Offset: (page - 1) * portalRefPageSize}
	switch d.Show {
	case "open":
		f.Open = true
	case "closed":
		f.Statuses = []string{referral.Won, referral.Lost, referral.Declined}
	}
	now := s.now()
	var (
		rows    []referral.Referral
		total   int
		counts  map[string]int
		waiting []referral.Referral
		st      referral.Settings
	)
	err := s.inPortal(r, func(tx pgx.Tx, pc *portalCtx) (err error) {
		if st, err = referral.GetSettings(ctx, tx, pc.Tenant.ID); err != nil {
			return err
		}
		if rows, total, err = referral.List(ctx, tx, pc.Tenant.ID, f, now); err != nil {
			return err
		}
		if counts, err = referral.CountByStatus(ctx, tx, pc.Tenant.ID, referral.Filter{PartnerID: &pid, Direction: d.Direction}); err != nil {
			return err
		}
		waiting, _, err = referral.List(ctx, tx, pc.Tenant.ID, referral.Filter{PartnerID: &pid, Direction: "outbound",
			Statuses: []string{referral.Submitted}, Limit: 100}, now)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for status, n := range counts {
		if referral.IsClosed(status) {
			d.Closed += n
		} else {
			d.Open += n
		}
	}
	for _, ref := range waiting {
		if awaitsPartner(ref) {
			d.Waiting++
		}
	}
	loc := st.Location()
	for _, ref := range rows {
		next, late := portalRefNext(ref, st, now, pc.Tenant.Name)
		d.Rows = append(d.Rows, view.PortalReferralRow{
			URL: portalRefURL(pc, ref.ID), Ref: ref.Ref(), Company: ref.ClientCompany, Direction: ref.Direction,
			Status: ref.Status, StatusLabel: portalStatusLabel(ref), Submitted: ref.SubmittedAt.In(loc).Format("2 Jan 2006"),
			LastUpdate: ref.StatusChangedAt.In(loc).Format("2 Jan 2006"), Next: next, Late: late, NeedsAnswer: awaitsPartner(ref),
		})
	}
	d.Pagination = view.PaginationProps{Total: total, From: f.Offset + 1, To: f.Offset + len(rows), Label: "Referral pages"}
	if page > 1 {
		d.Pagination.PrevURL = portalRefPageURL(d, page-1)
	}
	if f.Offset+len(rows) < total {
		d.Pagination.NextURL = portalRefPageURL(d, page+1)
	}
	s.render(w, r, http.StatusOK, view.PortalReferralListPage(s.page(r, "Referrals", "referrals"), d))
}

func portalRefPageURL(d view.PortalReferralListProps, page int) string {
	v := url.Values{}
	if d.Show != "open" {
		v.Set("show", d.Show)
	}
	if d.Direction != "" {
		v.Set("direction", d.Direction)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	u := d.Base + "/referrals"
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	return u
}

// portalHomeReferrals is the portal home's referrals card: open ones, the
// outbound ones waiting for the partner's answer and the latest updates
// (the most recent status changes).
func (s *Server) portalHomeReferrals(r *http.Request, tx pgx.Tx, pc *portalCtx) (view.PortalHomeReferrals, error) {
	ctx := r.Context()
	var d view.PortalHomeReferrals
	st, err := referral.GetSettings(ctx, tx, pc.Tenant.ID)
	if err != nil {
		return d, err
	}
	d.Promise = "We respond within " + responsePromise(st) + "."
	pid := pc.Member.PartnerID
	now := s.now()
	open, total, err := referral.List(ctx, tx, pc.Tenant.ID, referral.Filter{PartnerID: &pid, Open: true, Limit: 100}, now)
	if err != nil {
		return d, err
	}
	d.Open = total
	for _, ref := range open {
		if awaitsPartner(ref) {
			d.Waiting++
		}
	}
	recent, _, err := referral.List(ctx, tx, pc.Tenant.ID, referral.Filter{PartnerID: &pid, Limit: 100}, now)
	if err != nil {
		return d, err
	}
	slices.SortStableFunc(recent, func(a, b referral.Referral) int { return b.StatusChangedAt.Compare(a.StatusChangedAt) })
	loc := st.Location()
	for _, ref := range recent[:min(3, len(recent))] {
		d.Latest = append(d.Latest, view.PortalReferralRow{URL: portalRefURL(pc, ref.ID), Ref: ref.Ref(), Company: ref.ClientCompany,
			Direction: ref.Direction, Status: ref.Status, StatusLabel: portalStatusLabel(ref),
			LastUpdate: ref.StatusChangedAt.In(loc).Format("2 Jan 2006")})
	}
	return d, nil
}

// awaitsPartner: an outbound referral the partner has not answered yet.
func awaitsPartner(ref referral.Referral) bool {
	return ref.Direction == "outbound" && ref.Open() && ref.PartnerAcceptedAt == nil && ref.PartnerDeclinedAt == nil
}

// portalStatusLabel is a status as the partner reads it: an outbound
// referral they accepted reads "Accepted" rather than "Acknowledged".
func portalStatusLabel(ref referral.Referral) string {
	if ref.Direction == "outbound" {
		switch {
		case ref.PartnerDeclinedAt != nil && ref.Open():
			return "Declined by you"
		case awaitsPartner(ref):
			return "Waiting for your answer"
		case ref.Status == referral.Acknowledged || (ref.Status == referral.Submitted && ref.PartnerAcceptedAt != nil):
			return "Accepted"
		}
	}
	return referral.StatusLabel(ref.Status)
}

// portalRefNext says what happens next on an open referral, from the
// partner's side, with the due time of the clock that runs; late when that
// time has passed. "" for a closed referral.
func portalRefNext(ref referral.Referral, st referral.Settings, now time.Time, firm string) (next string, late bool) {
	if !ref.Open() {
		return "", false
	}
	loc := st.Location()
	when := func(t *time.Time) string { return t.In(loc).Format("Mon 2 Jan, 15:04") }
	due := func(t *time.Time, onTime, overdue string) (string, bool) {
		if t == nil {
			return onTime, false
		}
		if now.After(*t) {
			return fmt.Sprintf(overdue, when(t)), true
		}
		return onTime + " — by " + when(t) + ".", false
	}
	if ref.Direction == "outbound" {
		switch {
		case ref.PartnerDeclinedAt != nil:
			return "You declined this referral; " + firm + " will introduce someone else.", false
		case awaitsPartner(ref):
			return due(ref.PartnerResponseDueAt, "Please accept or decline this referral",
				"Your answer was due %s. Please accept or decline so "+firm+" can introduce someone else if needed.")
		case ref.Status == referral.Submitted || ref.Status == referral.Acknowledged:
			return "Contact " + ref.ClientCompany + " and update the stage here once you have.", false
		case ref.Status == referral.Contacted:
			return "Update the stage once you have met " + ref.ClientCompany + ".", false
		case ref.Status == referral.Meeting:
			return "Update the stage when you send a proposal, or if it ends.", false
		default:
			return "Tell " + firm + " whether " + ref.ClientCompany + " went ahead.", false
		}
	}
	switch ref.Status {
	case referral.Submitted:
		if ref.ConflictStatus == "open" {
			return due(ref.FirstResponseDueAt, "This client may already be in touch with us; we'll confirm attribution and respond",
				"We're late confirming attribution: our reply was due %s. Sorry — it's flagged to our team.")
		}
		return due(ref.FirstResponseDueAt, "We respond within "+responsePromise(st),
			"Our reply was due %s. Sorry for the wait — it's flagged to our team.")
	case referral.Acknowledged:
		return due(ref.FirstContactDueAt, "We contact "+ref.ClientCompany,
			"We meant to contact "+ref.ClientCompany+" by %s and haven't told you yet. It's flagged to our team.")
	case referral.Contacted:
		return due(ref.MeetingDueAt, "Meeting expected",
			"The meeting was expected by %s. We'll update you as soon as it's set.")
	case referral.Meeting:
		return "We're preparing a proposal for " + ref.ClientCompany + ".", false
	default:
		return "The proposal is with " + ref.ClientCompany + "; we'll tell you their decision.", false
	}
}

// ---------- refer a client ----------

// formTokenRE is what a one-time form token looks like (newFormToken).
var formTokenRE = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

// newFormToken is a random one-time token for a form: the referral's
// idempotency key, so the same form posted twice makes one referral.
func newFormToken() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

var portalUrgencies = []view.Option{
	{Value: "low", Label: "Low — whenever suits"},
	{Value: "normal", Label: "Normal"},
	{Value: "high", Label: "High — this month"},
	{Value: "urgent", Label: "Urgent — this week"},
}

// portalReferralNew shows the empty "refer a client" form.
func (s *Server) portalReferralNew(w http.ResponseWriter, r *http.Request) {
	s.renderPortalReferralForm(w, r, http.StatusOK, view.PortalReferralFormProps{Token: newFormToken(), Urgency: "normal"}, nil)
}

// renderPortalReferralForm draws the form with the partner's input and,
// after a failed submission, err's messages.
func (s *Server) renderPortalReferralForm(w http.ResponseWriter, r *http.Request, status int, d view.PortalReferralFormProps, answers map[string]string) {
	ctx := r.Context()
	var (
		qs       []referral.Question
		services []partner.Service
		st       referral.Settings
	)
	err := s.inPortal(r, func(tx pgx.Tx, pc *portalCtx) (err error) {
		if st, err = referral.GetSettings(ctx, tx, pc.Tenant.ID); err != nil {
			return err
		}
		if qs, err = referral.Questions(ctx, tx, pc.Tenant.ID, true); err != nil {
			return err
		}
		services, err = partner.ListServices(ctx, tx, pc.Tenant.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pc := portalFrom(ctx)
	d.Base, d.FirmName = portalBase(pc), pc.Tenant.Name
	d.Promise = "They respond within " + responsePromise(st) + "."
	d.Urgencies = portalUrgencies
	for _, q := range qs {
		d.Questions = append(d.Questions, view.PortalQuestion{ID: q.ID.String(), Question: q.Question, Help: q.Help,
			Required: q.Required, Answer: answers["q_"+q.ID.String()]})
	}
	for _, sv := range services {
		if sv.Phase == "ours" {
			d.Services = append(d.Services, view.Option{Value: sv.ID.String(), Label: sv.Name})
		}
	}
	s.render(w, r, status, view.PortalReferralNewPage(s.page(r, "Refer a client", "referrals"), d))
}

// portalReferralCreate submits a referral from the partner to the firm.
// The form's one-time token is the idempotency key: the same form posted
// again (double click, retry, back button) goes to the referral it made.
func (s *Server) portalReferralCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pc := portalFrom(ctx)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	f := r.PostForm
	d := view.PortalReferralFormProps{
		Token:         f.Get("form_token"),
		ClientCompany: f.Get("client_company"), ClientDomain: f.Get("client_domain"),
		ContactName: f.Get("contact_name"), ContactEmail: f.Get("contact_email"), ContactPhone: f.Get("contact_phone"),
		Challenge: f.Get("challenge"), Context: f.Get("context"), PromisesMade: f.Get("promises_made"),
		Urgency: f.Get("urgency"), EstimatedValue: f.Get("estimated_value"), ServiceID: f.Get("service_id"),
	}
	answers := map[string]string{}
	in := referral.SubmitInput{
		Direction: "inbound", PartnerID: pc.Member.PartnerID,
		ClientCompany: d.ClientCompany, ClientDomain: d.ClientDomain, ContactName: d.ContactName,
		ContactEmail: d.ContactEmail, ContactPhone: d.ContactPhone, Challenge: d.Challenge, Context: d.Context,
		PromisesMade: d.PromisesMade, Urgency: d.Urgency, EstimatedValue: d.EstimatedValue,
		Answers: map[uuid.UUID]bool{}, IdempotencyKey: d.Token, Source: "portal", SubmittedBy: pc.Member.UserID,
	}
	for k, v := range f {
		rest, ok := strings.CutPrefix(k, "q_")
		if !ok || len(v) == 0 {
			continue
		}
		id, err := uuid.Parse(rest)
		if err != nil || (v[0] != "yes" && v[0] != "no") {
			continue
		}
		answers[k] = v[0]
		in.Answers[id] = v[0] == "yes"
	}
	if !formTokenRE.MatchString(d.Token) {
		// Not a form we drew (or one from before tokens): a fresh token,
		// and the partner checks and sends again.
		d.Token = newFormToken()
		d.Form = view.Form{NonField: []string{"This form has expired. Check the details and send it again."}}
		s.renderPortalReferralForm(w, r, http.StatusUnprocessableEntity, d, answers)
		return
	}
	if d.ServiceID != "" {
		id, err := uuid.Parse(d.ServiceID)
		if err != nil {
			d.Form = formErrors(apperr.Invalid(map[string]string{"service_id": "Choose one of the services in the list."}))
			s.renderPortalReferralForm(w, r, http.StatusUnprocessableEntity, d, answers)
			return
		}
		in.ServiceID = &id
	}

	var (
		ref referral.Referral
		st  referral.Settings
	)
	// Submit matches the client against every open referral and client of
	// the firm, so it runs in the firm's scope, not the partner's: the
	// partner is the portal membership's, never the form's.
	err := s.DB.InTenant(ctx, pc.Tenant.ID, func(tx pgx.Tx) (err error) {
		if st, err = referral.GetSettings(ctx, tx, pc.Tenant.ID); err != nil {
			return err
		}
		ref, _, err = referral.Submit(ctx, tx, s.portalRefNotifier(), pc.Tenant.ID, in)
		return err
	})
	if err != nil {
		switch apperr.Code(err) {
		case apperr.EInvalid, apperr.EConflict, apperr.EForbidden:
			d.Form = formErrors(err)
			// The partnership itself can't take referrals (ended, inactive):
			// that is news for the top of the page, not a field.
			if msg, ok := d.Form.Errors["partner_id"]; ok {
				delete(d.Form.Errors, "partner_id")
				d.Form.NonField = append(d.Form.NonField, msg)
			}
			s.renderPortalReferralForm(w, r, statusFor(apperr.Code(err)), d, answers)
		default:
			s.fail(w, r, err)
		}
		return
	}
	kind, msg := receivedMessage(ref, st)
	s.flash(r, kind, msg)
	redirect(w, r, portalRefURL(pc, ref.ID))
}

// ---------- one referral ----------

// portalReferralShow is one of the partner's referrals.
func (s *Server) portalReferralShow(w http.ResponseWriter, r *http.Request) {
	s.renderPortalReferral(w, r, http.StatusOK, nil)
}

// portalReferralGet loads the {id} referral for the request's partner:
// another partner's referral (or another firm's) is not found.
func portalReferralGet(r *http.Request, tx pgx.Tx, pc *portalCtx) (referral.Referral, error) {
	id, err := idParam(r, "id")
	if err != nil {
		return referral.Referral{}, err
	}
	ref, err := referral.Get(r.Context(), tx, pc.Tenant.ID, id)
	if err != nil {
		return ref, err
	}
	if ref.PartnerID != pc.Member.PartnerID {
		return referral.Referral{}, apperr.NotFound("Referral")
	}
	return ref, nil
}

// renderPortalReferral loads and draws the {id} referral; edit fills in a
// form's input and errors when it is re-shown.
func (s *Server) renderPortalReferral(w http.ResponseWriter, r *http.Request, status int, edit func(*view.PortalReferralProps)) {
	ctx := r.Context()
	var (
		ref    referral.Referral
		events []referral.Event
		engs   []referral.Engagement
		st     referral.Settings
	)
	var expected string
	var why map[uuid.UUID]string // why the won referral has earned nothing yet
	err := s.inPortal(r, func(tx pgx.Tx, pc *portalCtx) (err error) {
		if ref, err = portalReferralGet(r, tx, pc); err != nil {
			return err
		}
		if st, err = referral.GetSettings(ctx, tx, pc.Tenant.ID); err != nil {
			return err
		}
		if events, err = referral.Timeline(ctx, tx, pc.Tenant.ID, ref.ID); err != nil {
			return err
		}
		if ref.Status != referral.Won {
			return nil
		}
		if engs, err = referral.ListEngagements(ctx, tx, pc.Tenant.ID, &ref.ID, nil, 20, time.Time{}, uuid.Nil); err != nil {
			return err
		}
		if expected, err = s.portalExpectedCommission(r, tx, pc, ref, engs); err != nil {
			return err
		}
		if ref.Direction == "inbound" {
			why, err = ledger.WhyNothingEarned(ctx, tx, pc.Tenant.ID, []uuid.UUID{ref.ID})
		}
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pc := portalFrom(ctx)
	d := portalReferralProps(pc, ref, events, engs, st, s.now())
	d.Commission = expected
	d.NothingEarned = why[ref.ID]
	if edit != nil {
		edit(&d)
	}
	s.render(w, r, status, view.PortalReferralPage(s.page(r, ref.Ref()+" · "+ref.ClientCompany, "referrals"), d))
}

// portalReferralProps fills the partner's view of a referral. Only what the
// partner may see goes in: the timeline's partner-visible entries, the
// outcome, fit feedback; never internal notes.
func portalReferralProps(pc *portalCtx, ref referral.Referral, events []referral.Event, engs []referral.Engagement,
	st referral.Settings, now time.Time) view.PortalReferralProps {
	loc := st.Location()
	firm := pc.Tenant.Name
	stamp := func(t time.Time) string { return t.In(loc).Format("2 Jan 2006, 15:04") }
	d := view.PortalReferralProps{
		Base: portalBase(pc), URL: portalRefURL(pc, ref.ID), FirmName: firm,
		Ref: ref.Ref(), Company: ref.ClientCompany, Domain: ref.ClientDomain, Direction: ref.Direction,
		Status: ref.Status, StatusLabel: portalStatusLabel(ref), Closed: !ref.Open(),
		Submitted: stamp(ref.SubmittedAt), Owner: ref.OwnerName,
		ContactName: ref.Contact.Name, ContactEmail: ref.Contact.Email, ContactPhone: ref.Contact.Phone,
		ContactErased: ref.Contact.Erased, Service: ref.ServiceName,
		Challenge: ref.Challenge, Context: ref.Context, PromisesMade: ref.PromisesMade,
		Urgency: portalUrgencyLabel(ref.Urgency), Fit: ref.Fit, FitNote: ref.FitNote,
	}
	if ref.EstimatedValueCents != nil {
		d.EstimatedValue = commission.FormatCents(*ref.EstimatedValueCents)
	}
	for _, a := range ref.Checklist {
		d.Checklist = append(d.Checklist, view.PortalChecklistAnswer{Question: a.Question, Answer: a.Answer})
	}
	d.Next, d.Late = portalRefNext(ref, st, now, firm)
	switch ref.ConflictStatus {
	case "open":
		d.Conflict = "Someone else may have introduced " + ref.ClientCompany + " to " + firm + " already, or they may be a client. " +
			"We'll check and confirm who is credited within " + responsePromise(st) + ". Either way, thank you for thinking of us."
	case "resolved":
		if ref.CreditedPartnerID != nil && *ref.CreditedPartnerID == ref.PartnerID {
			d.Credit = "Attribution checked: this introduction is credited to you."
		} else if ref.CreditedPartnerID != nil {
			d.Credit = "Attribution checked: another introduction of this client came first, so it is credited there. Thank you all the same."
		}
	}

	// Timeline, and when each stage was reached.
	reached := map[string]time.Time{referral.Submitted: ref.SubmittedAt}
	for _, e := range events {
		if !e.VisibleToPartner {
			continue
		}
		if e.ToStatus != "" { // status moves, the partner's acceptance, a hand-over
			if _, ok := reached[e.ToStatus]; !ok {
				reached[e.ToStatus] = e.At
			}
		}
		d.Events = append(d.Events, portalRefEvent(e, ref, pc, loc))
	}
	d.Steps = portalRefSteps(ref, reached, loc)

	// Outcome.
	switch ref.Status {
	case referral.Won:
		d.Won = true
		for _, e := range engs {
			pe := view.PortalEngagement{Kind: portalKindLabel(e.Kind), Name: e.Name, Value: commission.FormatCents(e.ValueCents),
				StartedOn: e.StartedOn.Format("2 Jan 2006")}
			if st.ShareWonScope {
				pe.Scope = e.Scope
			}
			d.Engagements = append(d.Engagements, pe)
		}
	case referral.Lost, referral.Declined:
		if ref.PartnerDeclinedAt != nil {
			d.CloseNote = "You declined it (" + strings.TrimRight(ref.PartnerDeclineReason, ".") + "), so " + firm +
				" passed it to another partner. Thank you for saying so quickly."
			break
		}
		if ref.CloseReason != "" {
			d.CloseReason = referral.ReasonLabel(ref.CloseReason) + ". " + referral.ReasonExplanation(ref.CloseReason)
			d.CloseReason = strings.TrimSuffix(strings.TrimSpace(d.CloseReason), ".")
		}
		for _, e := range events {
			if (e.Kind == "status" || e.Kind == "reassigned") && e.ToStatus == ref.Status && e.VisibleToPartner {
				d.CloseNote = e.Body
			}
		}
	}

	// Outbound: the partner's answer and their stage updates.
	if ref.PartnerAcceptedAt != nil {
		d.Accepted = stamp(*ref.PartnerAcceptedAt)
	}
	if ref.PartnerDeclinedAt != nil {
		d.Declined, d.DeclineReason = stamp(*ref.PartnerDeclinedAt), ref.PartnerDeclineReason
	}
	if ref.Direction == "outbound" && ref.Open() {
		d.CanRespond = awaitsPartner(ref)
		d.CanMove = ref.PartnerAcceptedAt != nil
		if d.CanMove {
			d.Move = portalMoveForm(ref)
		}
	}
	return d
}

// portalExpectedCommission says what the partner can expect for a won
// referral it sent, under the agreement version in force when it was
// submitted — the words of the "won" email (referral.ExpectedCommission) —
// or why nothing is paid (an attest client under an accounting firm's
// independence rule). "" for a referral the firm sent or without terms.
func (s *Server) portalExpectedCommission(r *http.Request, tx pgx.Tx, pc *portalCtx, ref referral.Referral, engs []referral.Engagement) (string, error) {
	ctx := r.Context()
	if ref.Direction != "inbound" || len(engs) == 0 {
		return "", nil
	}
	if ref.AttestClient {
		// The firm's policy overrides are not the partner's to read: the
		// rule is looked up in the firm's scope.
		var set policy.Set
		err := s.DB.InTenant(ctx, pc.Tenant.ID, func(tx pgx.Tx) (err error) {
			set, err = policy.Load(ctx, tx, pc.Tenant.ID)
			return err
		})
		if err != nil {
			return "", err
		}
		if set.Active(policy.AcctNoCommissionAttest) {
			return "The client is one " + pc.Tenant.Name + " performs attest work for, so independence rules mean no commission is paid on this referral.", nil
		}
	}
	if ref.AgreementID == nil {
		return "", nil
	}
	a, err := agreement.Get(ctx, tx, pc.Tenant.ID, *ref.AgreementID)
	if apperr.Code(err) == apperr.ENotFound {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	// The engagement the referral became when it was won: the first one.
	first := engs[0]
	for _, e := range engs[1:] {
		if e.CreatedAt.Before(first.CreatedAt) {
			first = e
		}
	}
	return referral.ExpectedCommission(a.Rules, first.ValueCents), nil
}

// portalMoveForm offers the moves a partner can make on an outbound
// referral they accepted.
func portalMoveForm(ref referral.Referral) view.PortalMoveForm {
	m := view.PortalMoveForm{Kind: "project"}
	for _, to := range referral.Moves(ref.Status) {
		if to == referral.Acknowledged {
			continue // accepting is the acknowledgment
		}
		m.Moves = append(m.Moves, view.Option{Value: to, Label: referral.StatusLabel(to)})
	}
	for _, reason := range referral.CloseReasons {
		m.Reasons = append(m.Reasons, view.Option{Value: reason, Label: referral.ReasonLabel(reason)})
	}
	m.Kinds = []view.Option{{Value: "project", Label: "Project"}, {Value: "retainer", Label: "Retainer"}}
	return m
}

// portalRefSteps is the progress indicator: the open stages, then the
// outcome. Stages before the furthest one reached are done (a stage may be
// skipped); a lost or declined referral stops with its outcome.
func portalRefSteps(ref referral.Referral, reached map[string]time.Time, loc *time.Location) []view.ReferralStep {
	furthest := 0
	for i, st := range referral.OpenStatuses {
		if _, ok := reached[st]; ok || st == ref.Status {
			furthest = i
		}
	}
	if ref.Status == referral.Won {
		furthest = len(referral.OpenStatuses)
	}
	var steps []view.ReferralStep
	for i, st := range referral.OpenStatuses {
		label := referral.StatusLabel(st)
		if st == referral.Submitted {
			label = "Sent"
		}
		if ref.Direction == "outbound" && st == referral.Acknowledged {
			label = "Accepted"
		}
		s := view.ReferralStep{Label: label, State: "todo"}
		switch {
		case i < furthest:
			s.State = "done"
		case i == furthest && ref.Open():
			s.State = "current"
		case i == furthest:
			s.State = "done"
		}
		if at, ok := reached[st]; ok && s.State != "todo" {
			s.At = at.In(loc).Format("2 Jan")
		}
		steps = append(steps, s)
	}
	end := view.ReferralStep{Label: "Outcome", State: "todo"}
	switch ref.Status {
	case referral.Won:
		end = view.ReferralStep{Label: referral.StatusLabel(referral.Won), State: "current"}
	case referral.Lost, referral.Declined:
		end = view.ReferralStep{Label: referral.StatusLabel(ref.Status), State: "stopped"}
	}
	if ref.ClosedAt != nil && end.State != "todo" {
		end.At = ref.ClosedAt.In(loc).Format("2 Jan")
	}
	return append(steps, end)
}

// portalRefEvent is a timeline entry as the partner reads it.
func portalRefEvent(e referral.Event, ref referral.Referral, pc *portalCtx, loc *time.Location) view.PortalReferralEvent {
	firm := pc.Tenant.Name
	ev := view.PortalReferralEvent{At: e.At.In(loc).Format("2 Jan 2006, 15:04"), Who: e.ActorName, Body: e.Body}
	if e.ActorKind == "system" {
		ev.Who = ""
	}
	switch e.Kind {
	case "submitted":
		if ref.Direction == "outbound" {
			ev.Title = firm + " referred " + ref.ClientCompany + " to you"
		} else {
			ev.Title = "Referral received"
		}
	case "status":
		ev.Title = referral.StatusLabel(e.ToStatus)
		if ref.Direction == "outbound" && e.ToStatus == referral.Acknowledged {
			ev.Title = "Accepted"
		}
		switch e.ToStatus {
		case referral.Lost:
			ev.Tone = "danger"
		case referral.Declined:
			ev.Tone = "neutral"
		case referral.Won:
			ev.Tone = "success"
		default:
			ev.Tone = "info"
		}
		if referral.ValidCloseReason(e.Reason) {
			reason := "Reason: " + referral.ReasonLabel(e.Reason) + "."
			if ev.Body != "" {
				reason += " " + ev.Body
			}
			ev.Body = reason
		}
	case "note", "partner_note":
		ev.Title = "Note from " + firm
		if e.ActorKind == "partner" {
			ev.Title = "Note from " + pc.Member.PartnerName
		}
	case "conflict":
		ev.Title = "Checking attribution"
	case "attribution":
		ev.Title = "Attribution decided"
	case "fit":
		ev.Title = "Fit feedback"
	case "partner_accepted":
		ev.Title = "Accepted"
	case "partner_declined":
		ev.Title = "You declined"
	case "reassigned":
		ev.Title = "Handed to another partner"
	case "engagement":
		ev.Title = "Engagement recorded"
	case "claim_lapsed":
		ev.Title = "Claim lapsed"
	case "sla_breach":
		ev.Title = "We missed our response time"
	default:
		ev.Title = strings.ReplaceAll(e.Kind, "_", " ")
		ev.Title = strings.ToUpper(ev.Title[:1]) + ev.Title[1:]
	}
	return ev
}

func portalUrgencyLabel(u string) string {
	for _, o := range portalUrgencies {
		if o.Value == u {
			return o.Label
		}
	}
	return u
}

func portalKindLabel(k string) string {
	if k == "retainer" {
		return "Retainer"
	}
	return "Project"
}

// ---------- the partner's writes ----------

// inPortalReferral runs fn in the partner's transaction with the {id}
// referral, after checking that it is the partner's: the id is resolved
// before any form is read, so another partner's or firm's id is simply
// not found.
func (s *Server) inPortalReferral(r *http.Request, fn func(tx pgx.Tx, pc *portalCtx, ref referral.Referral) error) error {
	return s.inPortal(r, func(tx pgx.Tx, pc *portalCtx) error {
		ref, err := portalReferralGet(r, tx, pc)
		if err != nil {
			return err
		}
		if err := r.ParseForm(); err != nil {
			return err
		}
		return fn(tx, pc, ref)
	})
}

// portalReferralNote adds the partner's note to the timeline; the firm is told.
func (s *Server) portalReferralNote(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var body string
	err := s.inPortalReferral(r, func(tx pgx.Tx, pc *portalCtx, ref referral.Referral) error {
		body = strings.TrimSpace(r.PostForm.Get("body"))
		return referral.AddNote(ctx, tx, s.portalRefNotifier(), pc.Tenant.ID, ref.ID, pc.Member.UserID, "partner", body, true)
	})
	if code := apperr.Code(err); code == apperr.EInvalid || code == apperr.EForbidden || code == apperr.EConflict {
		s.renderPortalReferral(w, r, statusFor(code), func(d *view.PortalReferralProps) {
			d.Note = view.NoteForm{Body: body, Form: portalNoteErrors(err)}
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "Note added. "+portalFrom(ctx).Tenant.Name+" has been told.")
	redirect(w, r, portalRefPath(r)+"#timeline")
}

// portalNoteErrors puts the domain's message for the note under its field.
func portalNoteErrors(err error) view.Form {
	f := formErrors(err)
	if len(f.Errors) > 0 {
		msgs := view.FieldErrors{}
		for _, m := range f.Errors {
			msgs["body"] = m
		}
		f.Errors = msgs
	}
	return f
}

func portalRefPath(r *http.Request) string {
	return portalBase(portalFrom(r.Context())) + "/referrals/" + chi.URLParam(r, "id")
}

// portalReferralAccept accepts an outbound referral the firm sent the partner.
func (s *Server) portalReferralAccept(w http.ResponseWriter, r *http.Request) {
	s.portalRespond(w, r, true)
}

// portalReferralDecline declines an outbound referral, with a reason.
func (s *Server) portalReferralDecline(w http.ResponseWriter, r *http.Request) {
	s.portalRespond(w, r, false)
}

func (s *Server) portalRespond(w http.ResponseWriter, r *http.Request, accept bool) {
	ctx := r.Context()
	var reason string
	err := s.inPortalReferral(r, func(tx pgx.Tx, pc *portalCtx, ref referral.Referral) error {
		reason = strings.TrimSpace(r.PostForm.Get("reason"))
		_, err := referral.PartnerRespond(ctx, tx, s.portalRefNotifier(), pc.Tenant.ID, pc.Member.PartnerID, ref.ID, accept, reason, pc.Member.UserID)
		return err
	})
	if code := apperr.Code(err); code == apperr.EInvalid || code == apperr.EForbidden || code == apperr.EConflict {
		s.renderPortalReferral(w, r, statusFor(code), func(d *view.PortalReferralProps) {
			f := formErrors(err)
			if !accept && len(f.Errors) > 0 {
				msgs := view.FieldErrors{}
				for _, m := range f.Errors {
					msgs["reason"] = m
				}
				f.Errors = msgs
			}
			if d.CanRespond {
				d.Respond = view.RespondForm{Reason: reason, Form: f}
			} else {
				d.Refused = apperr.Message(err)
			}
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	firm := portalFrom(ctx).Tenant.Name
	if accept {
		s.flash(r, "success", "Accepted. Contact the client, then update the stage here so "+firm+" can follow along.")
	} else {
		s.flash(r, "success", "Declined. Thank you for saying so quickly — "+firm+" will introduce someone else.")
	}
	redirect(w, r, portalRefPath(r))
}

// portalReferralStage moves an outbound referral the partner accepted
// (contacted → meeting → proposal → won / lost). A referral the partner sent
// the firm is the firm's to move: the domain refuses, and the page says so.
func (s *Server) portalReferralStage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var m view.PortalMoveForm
	err := s.inPortalReferral(r, func(tx pgx.Tx, pc *portalCtx, ref referral.Referral) error {
		f := r.PostForm
		m = view.PortalMoveForm{To: f.Get("to"), Reason: f.Get("reason"), Note: f.Get("note"),
			Kind: f.Get("engagement_kind"), Name: f.Get("engagement_name"), Scope: f.Get("engagement_scope"),
			Value: f.Get("engagement_value"), StartedOn: f.Get("engagement_started_on")}
		in := referral.TransitionInput{To: m.To, Reason: m.Reason, NoteForPartner: strings.TrimSpace(m.Note),
			ActorUserID: pc.Member.UserID, ActorKind: "partner"}
		if m.To == referral.Won {
			in.Engagement = &referral.EngagementInput{Kind: m.Kind, Name: m.Name, Scope: m.Scope, Value: m.Value, StartedOn: m.StartedOn}
		}
		_, err := referral.Transition(ctx, tx, s.portalRefNotifier(), pc.Tenant.ID, ref.ID, in)
		return err
	})
	if code := apperr.Code(err); code == apperr.EInvalid || code == apperr.EForbidden || code == apperr.EConflict {
		s.renderPortalReferral(w, r, statusFor(code), func(d *view.PortalReferralProps) {
			if !d.CanMove {
				d.Refused = apperr.Message(err)
				return
			}
			moves, reasons, kinds := d.Move.Moves, d.Move.Reasons, d.Move.Kinds
			d.Move = m
			d.Move.Moves, d.Move.Reasons, d.Move.Kinds = moves, reasons, kinds
			d.Move.Form = portalMoveErrors(err)
		})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", "Stage updated to "+referral.StatusLabel(m.To)+". "+portalFrom(ctx).Tenant.Name+" has been told.")
	redirect(w, r, portalRefPath(r))
}

// portalMoveErrors maps the domain's field names onto the stage form's.
func portalMoveErrors(err error) view.Form {
	f := formErrors(err)
	if len(f.Errors) == 0 {
		return f
	}
	out := view.FieldErrors{}
	for k, msg := range f.Errors {
		switch k {
		case "to", "reason":
			out[k] = msg
		case "note_for_partner", "note":
			out["note_for_partner"] = msg
		default:
			// Engagement fields: "kind", "engagement.kind", "engagement_kind"…
			k = strings.TrimPrefix(strings.TrimPrefix(k, "engagement."), "engagement_")
			switch k {
			case "kind", "name", "scope", "value", "started_on":
				out["engagement_"+k] = msg
			default:
				f.NonField = append(f.NonField, msg)
			}
		}
	}
	f.Errors = out
	return f
}
