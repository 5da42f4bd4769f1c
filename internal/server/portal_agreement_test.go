package server

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/agreement"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/notify"
)

// paWorld is a firm with a partner in onboarding, its portal admin and
// member, and the staff who drafts its agreement and owns the partner.
type paWorld struct {
	h       *harness
	f       firm
	partner uuid.UUID
	drafter uuid.UUID
	admin   *http.Client
	member  *http.Client
	portal  string // /p/{slug}/agreement
	adminID uuid.UUID
}

func newPAWorld(t *testing.T) *paWorld {
	h := newHarness(t)
	f := h.createFirm("northwind", "Northwind Advisory")
	p := h.createPartner(f.ID, "Brightline Tax")
	drafter := h.staffUser(f, "manager@northwind.test", auth.RoleManager)
	admin := h.portalUser(f.ID, p.ID, "pat@brightline.test", auth.RolePartnerAdmin)
	h.portalUser(f.ID, p.ID, "sam@brightline.test", auth.RolePartnerMember)
	w := &paWorld{h: h, f: f, partner: p.ID, drafter: drafter.ID, portal: "/p/northwind/agreement", adminID: admin.ID}
	w.exec(`UPDATE partners SET status = 'onboarding', owner_user_id = $3 WHERE tenant_id = $1 AND id = $2`, f.ID, p.ID, f.Owner.ID)
	w.admin = h.loggedIn("pat@brightline.test")
	w.member = h.loggedIn("sam@brightline.test")
	return w
}

func (w *paWorld) exec(sql string, args ...any) {
	w.h.t.Helper()
	_, err := w.h.owner.Exec(context.Background(), sql, args...)
	require.NoError(w.h.t, err)
}

// onboardingSteps gives the partner a checklist of n steps, done of them done.
func (w *paWorld) onboardingSteps(n, done int) {
	for i := 0; i < n; i++ {
		var at *time.Time
		if i < done {
			now := time.Now()
			at = &now
		}
		w.exec(`INSERT INTO partner_onboarding (tenant_id, partner_id, title, position, done_at) VALUES ($1, $2, $3, $4, $5)`,
			w.f.ID, w.partner, "Step "+string(rune('A'+i)), i, at)
	}
}

// draft makes the partner's next version as the drafter (sent when send).
func (w *paWorld) draft(from string, send bool) agreement.Agreement {
	w.h.t.Helper()
	ctx := context.Background()
	start, err := time.Parse(time.DateOnly, from)
	require.NoError(w.h.t, err)
	in := agreement.DefaultInput("referral", start)
	in.Title = "Referral partnership"
	in.PaymentNetDays = 45
	in.Terms.WeReferToThem = "Tax structuring for carve-outs."
	in.Rules = []commission.Rule{{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 1000}}
	var a agreement.Agreement
	require.NoError(w.h.t, w.h.db.InTenant(ctx, w.f.ID, func(tx pgx.Tx) (err error) {
		if a, err = agreement.CreateDraft(ctx, tx, w.f.ID, w.partner, in, w.drafter); err != nil || !send {
			return err
		}
		a, err = agreement.Send(ctx, tx, w.f.ID, a.ID, w.drafter, time.Now())
		return err
	}))
	return a
}

func (w *paWorld) in(fn func(ctx context.Context, tx pgx.Tx) error) {
	w.h.t.Helper()
	ctx := context.Background()
	require.NoError(w.h.t, w.h.db.InTenant(ctx, w.f.ID, func(tx pgx.Tx) error { return fn(ctx, tx) }))
}

func (w *paWorld) get(id uuid.UUID) agreement.Agreement {
	var a agreement.Agreement
	w.in(func(ctx context.Context, tx pgx.Tx) (err error) {
		a, err = agreement.Get(ctx, tx, w.f.ID, id)
		return err
	})
	return a
}

func (w *paWorld) partnerStatus() string {
	w.h.t.Helper()
	var st string
	require.NoError(w.h.t, w.h.owner.QueryRow(context.Background(), `SELECT status FROM partners WHERE id = $1`, w.partner).Scan(&st))
	return st
}

func (w *paWorld) count(sql string, args ...any) int {
	w.h.t.Helper()
	var n int
	require.NoError(w.h.t, w.h.owner.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

func (w *paWorld) outbox() []notify.OutboxMessage {
	w.h.t.Helper()
	msgs, err := notify.ListOutbox(context.Background(), w.h.owner, 500)
	require.NoError(w.h.t, err)
	return msgs
}

func acceptForm(name string, ticked bool) url.Values {
	v := url.Values{"name": {name}}
	if ticked {
		v.Set("accept", "on")
	}
	return v
}

// The journey in the portal: a member reads but may not accept; the admin
// is told what is missing, then accepts; the acceptance records name, time
// and IP once, the partner whose onboarding is complete turns active, and
// the firm is emailed. Accepting again changes nothing.
func TestPortalAgreementAccept(t *testing.T) {
	w := newPAWorld(t)
	h := w.h
	w.onboardingSteps(3, 3)
	a := w.draft("2026-12-01", true)

	// A member reads it, and is told who can accept.
	resp, body := h.get(w.member, w.portal)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Version 1 waits for your acceptance")
	require.Contains(t, body, "Northwind Advisory pays Brightline Tax 10% of client payments on the first project.")
	require.Contains(t, body, "Payable when the client pays, within 45 days (net 45).")
	require.Contains(t, body, "Tax structuring for carve-outs.")
	require.Contains(t, body, "Only a partner admin of Brightline Tax can accept or decline")
	require.Contains(t, body, "Ask pat to accept it.")
	require.NotContains(t, body, `action="/p/northwind/agreement/`+a.ID.String()+`/accept"`)
	require.Contains(t, body, w.portal+"/"+a.ID.String()+"/full.pdf")
	require.Contains(t, body, w.portal+"/"+a.ID.String()+"/print")
	resp, body = h.post(w.member, w.portal+"/"+a.ID.String()+"/accept", acceptForm("Sam", true))
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Contains(t, body, "Only a partner admin of Brightline Tax can accept or decline the agreement")
	require.Equal(t, agreement.StatusSent, w.get(a.ID).Status)

	// The admin sees the forms; a missing name and box are each explained.
	resp, body = h.get(w.admin, w.portal)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `action="/p/northwind/agreement/`+a.ID.String()+`/accept"`)
	require.Contains(t, body, "I have read the agreement and accept it on behalf of Brightline Tax")
	resp, body = h.post(w.admin, w.portal+"/"+a.ID.String()+"/accept", acceptForm("  ", false))
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Type your full name to accept the agreement.")
	require.Contains(t, body, "Tick the box to confirm you have read and accept the agreement.")
	resp, body = h.post(w.admin, w.portal+"/"+a.ID.String()+"/accept", acceptForm("Pat Partner", false))
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, `value="Pat Partner"`, "the name typed is kept")
	require.Equal(t, agreement.StatusSent, w.get(a.ID).Status)
	mails := len(w.outbox())

	// Accepted.
	before := time.Now().Add(-time.Second)
	resp, _ = h.post(w.admin, w.portal+"/"+a.ID.String()+"/accept", acceptForm("Pat Partner", true))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, w.portal, resp.Header.Get("Location"))
	got := w.get(a.ID)
	require.Equal(t, agreement.StatusActive, got.Status)
	require.Equal(t, "Pat Partner", got.AcceptedName)
	require.Equal(t, "127.0.0.1", got.AcceptedIP)
	require.Equal(t, "portal", got.AcceptedVia)
	require.Equal(t, w.adminID, *got.AcceptedBy)
	require.True(t, got.AcceptedAt.After(before))
	require.Equal(t, "active", w.partnerStatus(), "onboarding was complete: the partner turns active")
	require.Equal(t, 1, w.count(`SELECT count(*) FROM audit_log WHERE action = 'agreement.accepted' AND target_id = $1`, a.ID.String()))
	require.Equal(t, 1, w.count(`SELECT count(*) FROM audit_log WHERE action = 'partner.status_changed' AND target_id = $1`, w.partner.String()))
	require.Equal(t, 1, w.count(`SELECT count(*) FROM partner_status_history WHERE partner_id = $1 AND to_status = 'active'`, w.partner))

	// The drafter and the partner's owner hear of it.
	for _, to := range []string{"manager@northwind.test", w.f.Owner.Email} {
		m := h.lastEmail(to)
		require.Equal(t, "Brightline Tax accepted version 1 of the agreement", m.Subject)
		require.Contains(t, m.Text, "Pat Partner (pat@brightline.test) accepted version 1")
		require.Contains(t, m.Text, "from IP address 127.0.0.1")
		require.Contains(t, m.Text, "Brightline Tax is now an active partner")
		require.Contains(t, m.Text, h.ts.URL+"/t/northwind/partners/"+w.partner.String()+"/agreements")
	}
	require.Len(t, w.outbox(), mails+2)

	_, body = h.get(w.admin, w.portal)
	require.Contains(t, body, "You accepted version 1 of the agreement. Northwind Advisory has been told. Brightline Tax is now an active partner.")
	require.Contains(t, body, "In force: version 1")
	require.Contains(t, body, "Accepted by Pat Partner on")
	require.NotContains(t, body, "waits for your acceptance")

	// Twice: a clear message, nothing written.
	resp, body = h.post(w.admin, w.portal+"/"+a.ID.String()+"/accept", acceptForm("Someone Else", true))
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "Version 1 was already accepted")
	require.Contains(t, body, "by Pat Partner")
	again := w.get(a.ID)
	require.Equal(t, "Pat Partner", again.AcceptedName)
	require.True(t, again.AcceptedAt.Equal(*got.AcceptedAt))
	require.Len(t, w.outbox(), mails+2)
	require.Equal(t, 1, w.count(`SELECT count(*) FROM audit_log WHERE action = 'agreement.accepted'`))
	// Nor declined afterwards.
	resp, body = h.post(w.admin, w.portal+"/"+a.ID.String()+"/decline", url.Values{"reason": {"Changed our minds."}})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "Version 1 was already accepted")
	require.Equal(t, agreement.StatusActive, w.get(a.ID).Status)
}

// With onboarding steps left the partner stays in onboarding, and the
// email says how far it got.
func TestPortalAgreementAcceptOnboardingNotDone(t *testing.T) {
	w := newPAWorld(t)
	w.onboardingSteps(4, 1)
	a := w.draft("2026-12-01", true)
	resp, _ := w.h.post(w.admin, w.portal+"/"+a.ID.String()+"/accept", acceptForm("Pat Partner", true))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "onboarding", w.partnerStatus())
	m := w.h.lastEmail("manager@northwind.test")
	require.Contains(t, m.Text, "Brightline Tax becomes active once its onboarding checklist is complete (1 of 4 steps done).")
}

// A version withdrawn or superseded while the partner was reading it can't
// be accepted: a clear message, nothing written.
func TestPortalAgreementChangedMeanwhile(t *testing.T) {
	w := newPAWorld(t)
	h := w.h
	v1 := w.draft("2026-12-01", true)
	w.in(func(ctx context.Context, tx pgx.Tx) error {
		_, err := agreement.Withdraw(ctx, tx, w.f.ID, v1.ID)
		return err
	})
	mails := len(w.outbox())
	resp, body := h.post(w.admin, w.portal+"/"+v1.ID.String()+"/accept", acceptForm("Pat Partner", true))
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "The firm withdrew version 1 to change it")
	require.Equal(t, agreement.StatusDraft, w.get(v1.ID).Status)
	require.Nil(t, w.get(v1.ID).AcceptedAt)
	// The withdrawn draft's documents are not the partner's to see.
	resp, _ = h.get(w.admin, w.portal+"/"+v1.ID.String()+"/full.pdf")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	_, body = h.get(w.admin, w.portal)
	require.Contains(t, body, "No agreement to read yet")

	// v1 signed on paper and recorded, v2 recorded too: v1 is superseded.
	w.in(func(ctx context.Context, tx pgx.Tx) error {
		if _, err := agreement.Send(ctx, tx, w.f.ID, v1.ID, w.drafter, time.Now()); err != nil {
			return err
		}
		_, err := agreement.Record(ctx, tx, w.f.ID, v1.ID, w.drafter, "Dana Reyes", time.Now())
		return err
	})
	v2 := w.draft("2027-01-01", false)
	w.in(func(ctx context.Context, tx pgx.Tx) error {
		_, err := agreement.Record(ctx, tx, w.f.ID, v2.ID, w.drafter, "Dana Reyes", time.Now())
		return err
	})
	resp, body = h.post(w.admin, w.portal+"/"+v1.ID.String()+"/accept", acceptForm("Pat Partner", true))
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "Version 1 was superseded by a newer version")
	require.Equal(t, agreement.StatusSuperseded, w.get(v1.ID).Status)
	require.Equal(t, "Dana Reyes", w.get(v1.ID).AcceptedName)
	require.Len(t, w.outbox(), mails)

	// The page shows the version in force and the earlier one.
	_, body = h.get(w.admin, w.portal)
	require.Contains(t, body, "In force: version 2")
	require.Contains(t, body, "Earlier versions")
	require.Contains(t, body, "Superseded")
}

// Declining needs a reason, which the firm receives.
func TestPortalAgreementDecline(t *testing.T) {
	w := newPAWorld(t)
	h := w.h
	a := w.draft("2026-12-01", true)
	resp, body := h.post(w.admin, w.portal+"/"+a.ID.String()+"/decline", url.Values{"reason": {"   "}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Tell the firm why you decline")
	require.Equal(t, agreement.StatusSent, w.get(a.ID).Status)

	resp, body = h.post(w.member, w.portal+"/"+a.ID.String()+"/decline", url.Values{"reason": {"Too low."}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode, body)

	resp, _ = h.post(w.admin, w.portal+"/"+a.ID.String()+"/decline", url.Values{"reason": {"The rate is too low for the work involved."}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	got := w.get(a.ID)
	require.Equal(t, agreement.StatusDeclined, got.Status)
	require.Equal(t, "The rate is too low for the work involved.", got.DeclinedReason)
	require.Equal(t, w.adminID, *got.DeclinedBy)
	m := h.lastEmail("manager@northwind.test")
	require.Equal(t, "Brightline Tax declined version 1 of the agreement", m.Subject)
	require.Contains(t, m.Text, "The rate is too low for the work involved.")
	require.Equal(t, "onboarding", w.partnerStatus())

	_, body = h.get(w.admin, w.portal)
	require.Contains(t, body, "You declined version 1 of the agreement.")
	require.Contains(t, body, "Declined")

	resp, body = h.post(w.admin, w.portal+"/"+a.ID.String()+"/accept", acceptForm("Pat Partner", true))
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "Version 1 was declined")
}

// Another partner's version, in the same firm, is not found in the portal,
// whatever is asked of it; neither is an unknown or malformed id.
func TestPortalAgreementOtherPartner(t *testing.T) {
	w := newPAWorld(t)
	h := w.h
	other := h.createPartner(w.f.ID, "Keystone Legal")
	var theirs agreement.Agreement
	w.in(func(ctx context.Context, tx pgx.Tx) (err error) {
		in := agreement.DefaultInput("referral", time.Now())
		in.Rules = []commission.Rule{{Kind: commission.ReciprocityOnly, Direction: commission.WePay}}
		if theirs, err = agreement.CreateDraft(ctx, tx, w.f.ID, other.ID, in, w.drafter); err != nil {
			return err
		}
		theirs, err = agreement.Send(ctx, tx, w.f.ID, theirs.ID, w.drafter, time.Now())
		return err
	})
	for _, path := range []string{"/mou.pdf", "/full.pdf", "/print"} {
		resp, _ := h.get(w.admin, w.portal+"/"+theirs.ID.String()+path)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
	}
	for _, path := range []string{"/accept", "/decline"} {
		resp, _ := h.post(w.admin, w.portal+"/"+theirs.ID.String()+path, url.Values{"name": {"Pat"}, "accept": {"on"}, "reason": {"x"}})
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
	}
	require.Equal(t, agreement.StatusSent, w.get(theirs.ID).Status)
	_, body := h.get(w.admin, w.portal)
	require.NotContains(t, body, "Keystone")
	resp, _ := h.get(w.admin, w.portal+"/"+uuid.NewString()+"/print")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = h.get(w.admin, w.portal+"/not-an-id/mou.pdf")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}
