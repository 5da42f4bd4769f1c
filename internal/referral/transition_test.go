package referral_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/policy"
	"github.com/allyway/allyway/internal/referral"
)

func won(value string) *referral.EngagementInput {
	return &referral.EngagementInput{Kind: "project", Name: "ERP migration", Scope: "Phase 1: discovery and data migration.",
		Value: value, StartedOn: "2026-12-01"}
}

func TestTransitionPipeline(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	p := f.partner("Brightline", "active")
	f.portalUser(p, "p@brightline.example", "Pat Partner")
	_, err := f.owner.Exec(ctx, `INSERT INTO agreements (tenant_id, partner_id, version, status, model, effective_from, accepted_at, rules)
		VALUES ($1, $2, 1, 'active', 'referral', '2025-01-01', now(),
		'[{"kind":"percent_first_project","direction":"we_pay","rate_bp":1000},{"kind":"flat_fee","direction":"we_pay","amount_cents":50000}]')`, f.tenant, p)
	require.NoError(t, err)
	f.setNow(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	r := f.mustSubmit(f.input(p, f.admin, "Acme"))

	// Illegal moves are refused with the allowed ones, and nothing is written.
	_, err = f.transition(r.ID, referral.TransitionInput{To: referral.Won, Engagement: won("10,000")})
	require.Equal(t, apperr.EInvalid, apperr.Code(err))
	require.Contains(t, apperr.FieldErrors(err)["to"], "it can move to: Acknowledged")
	_, err = f.transition(r.ID, referral.TransitionInput{To: "bogus"})
	require.Contains(t, apperr.FieldErrors(err), "to")

	// Lost and declined need a reason and a note for the partner.
	_, err = f.transition(r.ID, referral.TransitionInput{To: referral.Lost})
	fe := apperr.FieldErrors(err)
	require.Contains(t, fe, "reason")
	require.Contains(t, fe, "note_for_partner")
	_, err = f.transition(r.ID, referral.TransitionInput{To: referral.Declined, Reason: "mood", NoteForPartner: "x"})
	require.Contains(t, apperr.FieldErrors(err), "reason")
	require.Equal(t, referral.Submitted, f.get(r.ID).Status)

	f.setNow(time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC))
	r, err = f.transition(r.ID, referral.TransitionInput{To: referral.Acknowledged, NoteForPartner: "Thanks, on it.", NoteInternal: "Max will call."})
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC), r.FirstRespondedAt.UTC())
	require.Nil(t, r.ContactedAt)
	require.Equal(t, time.Date(2027, 2, 21, 11, 0, 0, 0, time.UTC), r.ClaimExpiresAt.UTC(), "the claim moves forward")

	f.setNow(time.Date(2026, 11, 24, 11, 0, 0, 0, time.UTC))
	r, err = f.transition(r.ID, referral.TransitionInput{To: referral.Meeting, NoteForPartner: "Great first meeting."})
	require.NoError(t, err)
	require.NotNil(t, r.ContactedAt, "skipping contacted still stamps first contact")
	require.NotNil(t, r.MeetingAt)
	require.False(t, r.Breached(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)))

	// Won needs the engagement.
	_, err = f.transition(r.ID, referral.TransitionInput{To: referral.Won})
	require.Contains(t, apperr.FieldErrors(err), "engagement")
	_, err = f.transition(r.ID, referral.TransitionInput{To: referral.Won, Engagement: &referral.EngagementInput{Kind: "gig", Value: "lots", StartedOn: "soon"}})
	fe = apperr.FieldErrors(err)
	require.Contains(t, fe, "engagement_kind")
	require.Contains(t, fe, "engagement_value")
	require.Contains(t, fe, "engagement_started_on")

	r, err = f.transition(r.ID, referral.TransitionInput{To: referral.Won, NoteForPartner: "Signed today!", Engagement: won("$120,000")})
	require.NoError(t, err)
	require.Equal(t, referral.Won, r.Status)
	require.NotNil(t, r.ClosedAt)
	require.NotNil(t, r.ClientID, "won links the client")
	require.Equal(t, 1, f.count(`SELECT count(*) FROM clients WHERE name = 'Acme' AND name_norm = 'acme'`))
	var engs []referral.Engagement
	require.NoError(t, f.db.InTenant(ctx, f.tenant, func(tx pgx.Tx) (err error) {
		engs, err = referral.ListEngagements(ctx, tx, f.tenant, &r.ID, nil, 0, time.Time{}, uuid.Nil)
		return err
	}))
	require.Len(t, engs, 1)
	require.Equal(t, int64(12_000_000), engs[0].ValueCents)
	require.Equal(t, "project", engs[0].Kind)
	require.Equal(t, r.Number, engs[0].ReferralNumber)
	require.Equal(t, *r.ClientID, *engs[0].ClientID)

	// Closing is final.
	_, err = f.transition(r.ID, referral.TransitionInput{To: referral.Lost, Reason: "budget", NoteForPartner: "x"})
	require.Contains(t, apperr.FieldErrors(err)["to"], "closing is final")

	tl := f.timeline(r.ID)
	require.Equal(t, []string{"submitted", "status", "note", "status", "engagement", "status"}, kinds(tl))
	require.Equal(t, "Max will call.", tl[2].Body)
	require.False(t, tl[2].VisibleToPartner)
	require.Equal(t, "Ada Admin", tl[1].ActorName)

	wonMail := f.emails(r.Ref() + " Acme: Won")
	require.Len(t, wonMail, 1)
	require.Contains(t, wonMail[0].Text, "Signed today!")
	require.Contains(t, wonMail[0].Text, "Phase 1: discovery and data migration.", "scope shared by default")
	require.Contains(t, wonMail[0].Text, "10% of client payments on the first project (about $12,000.00 on this engagement's $120,000.00)")
	require.Contains(t, wonMail[0].Text, "a referral fee of $500.00")
	require.Len(t, f.emails(r.Ref()+" Acme: Acknowledged"), 1)
	require.Len(t, f.emails(r.Ref()+" Acme: Meeting held"), 1)
	require.Equal(t, 3, f.count(`SELECT count(*) FROM audit_log WHERE action = 'referral.status' AND target_id = $1`, r.ID.String()))

	// Lost in words a partner can learn from; not sharing scope.
	require.NoError(t, f.db.InTenant(ctx, f.tenant, func(tx pgx.Tx) error {
		s, _ := referral.GetSettings(ctx, tx, f.tenant)
		s.ShareWonScope = false
		return referral.SaveSettings(ctx, tx, f.tenant, s)
	}))
	l := f.mustSubmit(f.input(p, f.admin, "Globex"))
	_, err = f.transition(l.ID, referral.TransitionInput{To: referral.Contacted})
	require.NoError(t, err)
	_, err = f.transition(l.ID, referral.TransitionInput{To: referral.Lost, Reason: "competitor", NoteForPartner: "They went with a Big Four firm."})
	require.NoError(t, err)
	lost := f.emails(l.Ref() + " Globex: Lost")
	require.Len(t, lost, 1)
	require.Contains(t, lost[0].Text, "Why: Chose another firm. The client chose another firm.")
	require.Contains(t, lost[0].Text, "They went with a Big Four firm.")
	require.Equal(t, "competitor", f.get(l.ID).CloseReason)

	w := f.mustSubmit(f.input(p, f.admin, "Hooli"))
	for _, to := range []string{referral.Proposal, referral.Won} {
		_, err = f.transition(w.ID, referral.TransitionInput{To: to, Engagement: won("1000")})
		require.NoError(t, err)
	}
	require.NotContains(t, f.emails(w.Ref() + " Hooli: Won")[0].Text, "Phase 1", "scope not shared")
}

// TestTransitionGuardrails: a law firm records the fee disclosure and the
// conflicts check before accepting or winning a referral.
func TestTransitionGuardrails(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	require.NoError(t, f.db.InTenant(ctx, f.tenant, func(tx pgx.Tx) error {
		return policy.SetProfession(ctx, tx, f.tenant, "law")
	}))
	p := f.partner("Counsel LLP", "active")
	r := f.mustSubmit(f.input(p, f.admin, "Acme"))
	_, err := f.transition(r.ID, referral.TransitionInput{To: referral.Acknowledged})
	require.Equal(t, "Your firm's law firm policy requires recording that the client was told of the referral fee and that conflicts of interest are cleared before a referral is accepted.",
		apperr.FieldErrors(err)["to"])
	_, err = f.transition(r.ID, referral.TransitionInput{To: referral.Contacted})
	require.Contains(t, apperr.FieldErrors(err)["to"], "policy requires", "skipping acknowledged does not skip the guardrail")
	// Declining needs no guardrail.
	d := f.mustSubmit(f.input(p, f.admin, "Globex"))
	_, err = f.transition(d.ID, referral.TransitionInput{To: referral.Declined, Reason: "fit", NoteForPartner: "Not our practice area."})
	require.NoError(t, err)

	guard := func(which string) error {
		return f.db.InTenant(ctx, f.tenant, func(tx pgx.Tx) error {
			return referral.RecordGuardrail(ctx, tx, f.tenant, r.ID, which, f.admin)
		})
	}
	require.NoError(t, guard("fee_disclosed"))
	_, err = f.transition(r.ID, referral.TransitionInput{To: referral.Acknowledged})
	require.Equal(t, "Your firm's law firm policy requires recording that conflicts of interest are cleared before a referral is accepted.",
		apperr.FieldErrors(err)["to"])
	require.NoError(t, guard("conflicts_cleared"))
	require.NoError(t, guard("conflicts_cleared"), "recording twice keeps the first")
	require.Contains(t, apperr.FieldErrors(guard("bogus")), "which")
	_, err = f.transition(r.ID, referral.TransitionInput{To: referral.Meeting})
	require.NoError(t, err)
	_, err = f.transition(r.ID, referral.TransitionInput{To: referral.Won, Engagement: won("5000")})
	require.NoError(t, err)
	require.Equal(t, 2, f.count(`SELECT count(*) FROM referral_events WHERE referral_id = $1 AND kind = 'guardrail'`, r.ID))

	// Counsel can switch a rule off with a reason.
	require.NoError(t, f.db.InTenant(ctx, f.tenant, func(tx pgx.Tx) error {
		if err := policy.SetOverride(ctx, tx, f.tenant, policy.LawConflictsCheck, "Checked in our practice system.", f.admin); err != nil {
			return err
		}
		return policy.SetOverride(ctx, tx, f.tenant, policy.LawClientDisclosure, "Engagement letter covers it.", f.admin)
	}))
	o := f.mustSubmit(f.input(p, f.admin, "Initech"))
	_, err = f.transition(o.ID, referral.TransitionInput{To: referral.Acknowledged})
	require.NoError(t, err)

	// Accounting: the fee disclosure; attest clients earn no commission.
	g := newFixture(t)
	require.NoError(t, g.db.InTenant(ctx, g.tenant, func(tx pgx.Tx) error {
		return policy.SetProfession(ctx, tx, g.tenant, "accounting")
	}))
	gp := g.partner("Ledger & Co", "active")
	g.portalUser(gp, "l@ledger.example", "Lee Ledger")
	_, err = g.owner.Exec(ctx, `INSERT INTO agreements (tenant_id, partner_id, version, status, model, effective_from, accepted_at, rules)
		VALUES ($1, $2, 1, 'active', 'referral', '2025-01-01', now(), '[{"kind":"percent_first_project","direction":"we_pay","rate_bp":1000}]')`, g.tenant, gp)
	require.NoError(t, err)
	gr := g.mustSubmit(g.input(gp, g.admin, "Acme"))
	_, err = g.transition(gr.ID, referral.TransitionInput{To: referral.Acknowledged})
	require.Contains(t, apperr.FieldErrors(err)["to"], "accounting firm policy requires recording that the client was told of the referral fee")
	require.NoError(t, g.db.InTenant(ctx, g.tenant, func(tx pgx.Tx) error {
		if err := referral.RecordGuardrail(ctx, tx, g.tenant, gr.ID, "fee_disclosed", g.admin); err != nil {
			return err
		}
		return referral.RecordGuardrail(ctx, tx, g.tenant, gr.ID, "attest_client", g.admin)
	}))
	require.True(t, g.get(gr.ID).AttestClient)
	for _, to := range []string{referral.Meeting, referral.Won} {
		_, err = g.transition(gr.ID, referral.TransitionInput{To: to, Engagement: won("10000")})
		require.NoError(t, err)
	}
	text := g.emails(gr.Ref() + " Acme: Won")[0].Text
	require.Contains(t, text, "no commission is paid on this referral")
	require.NotContains(t, text, "10% of client payments")
}

// TestPortalActor: partners move only outbound referrals sent to them, after
// accepting; under the portal's RLS they see only their partner-visible
// timeline.
func TestPortalActor(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	p := f.partner("Brightline", "active")
	other := f.partner("Other", "active")
	pu := f.portalUser(p, "p@brightline.example", "Pat Partner")
	inbound := f.mustSubmit(f.input(p, pu, "Acme"))
	_, err := f.transition(inbound.ID, referral.TransitionInput{To: referral.Acknowledged, NoteInternal: "internal only"})
	require.NoError(t, err)

	out := f.input(p, f.admin, "Globex")
	out.Direction, out.Source = "outbound", "staff"
	ob := f.mustSubmit(out)
	otherOut := f.input(other, f.admin, "Initech")
	otherOut.Direction, otherOut.Source = "outbound", "staff"
	oo := f.mustSubmit(otherOut)

	portal := func(fn func(tx pgx.Tx) error) error { return f.db.InPortal(ctx, f.tenant, p, fn) }
	move := func(id uuid.UUID, in referral.TransitionInput) error {
		in.ActorKind, in.ActorUserID = "partner", pu
		return portal(func(tx pgx.Tx) error {
			_, err := referral.Transition(ctx, tx, f.notifier(), f.tenant, id, in)
			return err
		})
	}
	err = move(inbound.ID, referral.TransitionInput{To: referral.Contacted})
	require.Equal(t, apperr.EForbidden, apperr.Code(err))
	require.Equal(t, apperr.ENotFound, apperr.Code(move(oo.ID, referral.TransitionInput{To: referral.Contacted})), "another partner's referral is invisible")
	require.Contains(t, apperr.FieldErrors(move(ob.ID, referral.TransitionInput{To: referral.Contacted}))["to"], "Accept or decline")

	respond := func(id uuid.UUID, accept bool, reason string) (referral.Referral, error) {
		var r referral.Referral
		err := portal(func(tx pgx.Tx) (err error) {
			r, err = referral.PartnerRespond(ctx, tx, f.notifier(), f.tenant, p, id, accept, reason, pu)
			return err
		})
		return r, err
	}
	_, err = respond(inbound.ID, true, "")
	require.Equal(t, apperr.EConflict, apperr.Code(err))
	r, err := respond(ob.ID, true, "")
	require.NoError(t, err)
	require.Equal(t, referral.Acknowledged, r.Status)
	require.NotNil(t, r.PartnerAcceptedAt)
	_, err = respond(ob.ID, true, "")
	require.Equal(t, apperr.EConflict, apperr.Code(err))
	require.Len(t, f.emails(ob.Ref()+" Globex: Brightline accepted"), 1)

	require.NoError(t, move(ob.ID, referral.TransitionInput{To: referral.Meeting, NoteForPartner: "Met them Tuesday."}))
	require.NoError(t, move(ob.ID, referral.TransitionInput{To: referral.Won, NoteForPartner: "Signed.", Engagement: won("40,000")}))
	require.Equal(t, referral.Won, f.get(ob.ID).Status)
	require.Len(t, f.emails(ob.Ref()+" Globex: Won (by Brightline)"), 1, "the owner hears of the partner's move")

	// The portal sees the partner-visible timeline only.
	var tl []referral.Event
	require.NoError(t, portal(func(tx pgx.Tx) (err error) {
		tl, err = referral.Timeline(ctx, tx, f.tenant, inbound.ID)
		return err
	}))
	require.Equal(t, []string{"submitted", "status"}, kinds(tl))
	require.Len(t, f.timeline(inbound.ID), 3)
	require.NoError(t, portal(func(tx pgx.Tx) error {
		rs, total, err := referral.List(ctx, tx, f.tenant, referral.Filter{}, time.Now())
		require.Equal(t, 2, total)
		for _, x := range rs {
			require.Equal(t, p, x.PartnerID)
		}
		return err
	}))
}

func TestNotesFitOwnerAssists(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	p := f.partner("Brightline", "active")
	helper := f.partner("Helper Co", "active")
	f.portalUser(p, "p@brightline.example", "Pat Partner")
	manager := f.staffUser(f.tenant, "m@northwind.example", "Max Manager", "manager")
	r := f.mustSubmit(f.input(p, f.admin, "Acme"))
	in := func(fn func(tx pgx.Tx) error) error { return f.db.InTenant(ctx, f.tenant, fn) }

	require.NoError(t, in(func(tx pgx.Tx) error {
		return referral.AddNote(ctx, tx, f.notifier(), f.tenant, r.ID, f.admin, "staff", "We'll call them Monday.", true)
	}))
	require.NoError(t, in(func(tx pgx.Tx) error {
		return referral.AddNote(ctx, tx, f.notifier(), f.tenant, r.ID, f.admin, "staff", "Budget looks thin.", false)
	}))
	require.Contains(t, apperr.FieldErrors(in(func(tx pgx.Tx) error {
		return referral.AddNote(ctx, tx, f.notifier(), f.tenant, r.ID, f.admin, "staff", "  ", false)
	})), "body")
	require.Len(t, f.emails(r.Ref()+" Acme: a note from Northwind Advisory"), 1)

	require.NoError(t, in(func(tx pgx.Tx) error {
		return referral.SetOwner(ctx, tx, f.tenant, r.ID, &manager, &f.admin, f.admin)
	}))
	got := f.get(r.ID)
	require.Equal(t, "Max Manager", got.OwnerName)
	require.Equal(t, "Ada Admin", got.OriginatorName)
	stranger := f.user("x@elsewhere.example", "Stranger")
	require.Contains(t, apperr.FieldErrors(in(func(tx pgx.Tx) error {
		return referral.SetOwner(ctx, tx, f.tenant, r.ID, &stranger, nil, f.admin)
	})), "owner_user_id")

	require.NoError(t, in(func(tx pgx.Tx) error {
		return referral.SetAssists(ctx, tx, f.tenant, r.ID, []uuid.UUID{helper, helper}, f.admin)
	}))
	require.Equal(t, []referral.Assist{{PartnerID: helper, PartnerName: "Helper Co"}}, f.get(r.ID).Assists)
	require.Contains(t, apperr.FieldErrors(in(func(tx pgx.Tx) error {
		return referral.SetAssists(ctx, tx, f.tenant, r.ID, []uuid.UUID{p}, f.admin)
	})), "assists")
	require.NoError(t, in(func(tx pgx.Tx) error { return referral.SetAssists(ctx, tx, f.tenant, r.ID, nil, f.admin) }))
	require.Empty(t, f.get(r.ID).Assists)

	// Fit only once closed; poor needs why.
	require.Equal(t, apperr.EConflict, apperr.Code(in(func(tx pgx.Tx) error {
		return referral.SetFit(ctx, tx, f.notifier(), f.tenant, r.ID, "good", "", f.admin)
	})))
	_, err := f.transition(r.ID, referral.TransitionInput{To: referral.Declined, Reason: "fit", NoteForPartner: "Too small for us."})
	require.NoError(t, err)
	require.Contains(t, apperr.FieldErrors(in(func(tx pgx.Tx) error {
		return referral.SetFit(ctx, tx, f.notifier(), f.tenant, r.ID, "poor", "", f.admin)
	})), "fit_note")
	require.NoError(t, in(func(tx pgx.Tx) error {
		return referral.SetFit(ctx, tx, f.notifier(), f.tenant, r.ID, "poor", "Projects under $10k don't fit our model.", f.admin)
	}))
	got = f.get(r.ID)
	require.Equal(t, "poor", got.Fit)
	tl := f.timeline(r.ID)
	last := tl[len(tl)-1]
	require.Equal(t, "fit", last.Kind)
	require.True(t, last.VisibleToPartner)
	require.True(t, strings.HasPrefix(last.Body, "We rated this referral not a good fit."))
	require.Len(t, f.emails("feedback on the referral"), 1)
}

// TestResolveConflict: staff confirm credit; the other partner is told kindly.
func TestResolveConflict(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	a := f.partner("Alpha", "active")
	b := f.partner("Beta", "active")
	f.portalUser(a, "a@alpha.example", "Ann")
	f.portalUser(b, "b@beta.example", "Ben")
	staff := func(p uuid.UUID, company string) referral.SubmitInput {
		in := f.input(p, f.admin, company)
		in.Source = "staff"
		return in
	}
	first := f.mustSubmit(staff(a, "Acme Inc"))
	second := f.mustSubmit(staff(b, "ACME"))
	require.Equal(t, "open", second.ConflictStatus)

	// Won is blocked while credit is undecided.
	for _, to := range []string{referral.Meeting, referral.Won} {
		_, err := f.transition(second.ID, referral.TransitionInput{To: to, Engagement: won("100")})
		if to == referral.Won {
			require.Equal(t, apperr.EConflict, apperr.Code(err))
		} else {
			require.NoError(t, err)
		}
	}
	resolve := func(id, credited uuid.UUID) error {
		return f.db.InTenant(ctx, f.tenant, func(tx pgx.Tx) error {
			return referral.ResolveConflict(ctx, tx, f.notifier(), f.tenant, id, credited, "Alpha made the first formal introduction.", f.admin)
		})
	}
	require.Contains(t, apperr.FieldErrors(resolve(second.ID, uuid.New())), "credited_partner_id")
	require.Equal(t, apperr.EConflict, apperr.Code(resolve(first.ID, a)), "the first has no conflict of its own")
	require.NoError(t, resolve(second.ID, a))
	got := f.get(second.ID)
	require.Equal(t, "resolved", got.ConflictStatus)
	require.Equal(t, a, *got.CreditedPartnerID)
	require.Contains(t, got.ConflictNote, "Resolved: Credit: Alpha.")
	kind := f.emails("About your referral of ACME")
	require.Len(t, kind, 1)
	require.Contains(t, kind[0].To, "b@beta.example")
	require.Contains(t, kind[0].Text, "Another introduction to the same client reached us first")
	require.Empty(t, f.emails("About your referral of Acme Inc"), "the credited partner is not told it lost")
	vis := f.timeline(second.ID)
	require.Equal(t, "attribution", vis[len(vis)-1].Kind)
	require.True(t, vis[len(vis)-1].VisibleToPartner)
	require.Equal(t, apperr.EConflict, apperr.Code(resolve(second.ID, a)), "resolved once")
	_, err := f.transition(second.ID, referral.TransitionInput{To: referral.Won, Engagement: won("100")})
	require.NoError(t, err)
}
