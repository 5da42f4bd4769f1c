package referral_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/referral"
)

func TestSubmitInbound(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.setNow(time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)) // a Friday evening
	p := f.partner("Brightline Advisory", "active")
	owner := f.staffUser(f.tenant, "manager@northwind.example", "Max Manager", "manager")
	_, err := f.owner.Exec(ctx, `UPDATE partners SET owner_user_id = $2 WHERE id = $1`, p, owner)
	require.NoError(t, err)
	pu := f.portalUser(p, "partner@brightline.example", "Pat Partner")
	f.portalUser(p, "second@brightline.example", "Sam Second")
	// An agreement in force since last year.
	var agreementID uuid.UUID
	require.NoError(t, f.owner.QueryRow(ctx, `INSERT INTO agreements (tenant_id, partner_id, version, status, model, effective_from, accepted_at, rules)
		VALUES ($1, $2, 1, 'active', 'referral', '2025-01-01', now(), '[{"kind":"percent_first_project","direction":"we_pay","rate_bp":1000}]')
		RETURNING id`, f.tenant, p).Scan(&agreementID))

	in := f.input(p, pu, "The Acme Company, Inc.")
	in.ClientDomain = "https://www.Acme.com/"
	in.ContactEmail = " Jane@Acme.com "
	in.ContactPhone = "+1 (212) 555-0100"
	in.Context, in.PromisesMade, in.Urgency = "Met at the CFO dinner.", "A call this week.", "high"
	r := f.mustSubmit(in)

	require.Equal(t, "inbound", r.Direction)
	require.Equal(t, referral.Submitted, r.Status)
	require.True(t, strings.HasPrefix(r.Ref(), "R-"))
	require.GreaterOrEqual(t, r.Number, int64(1001))
	require.Equal(t, "acme.com", r.ClientDomain)
	require.Equal(t, "jane@acme.com", r.Contact.Email)
	require.Equal(t, "+1 (212) 555-0100", r.Contact.Phone)
	require.Equal(t, int64(2_500_000), *r.EstimatedValueCents)
	require.Equal(t, "high", r.Urgency)
	require.Equal(t, "Brightline Advisory", r.PartnerName)
	require.Equal(t, p, *r.CreditedPartnerID)
	require.Equal(t, "none", r.ConflictStatus)
	require.Equal(t, owner, *r.OwnerUserID, "the partner's owner owns its referrals by default")
	require.Equal(t, agreementID, *r.AgreementID)
	require.Len(t, r.Checklist, 4)
	for _, a := range r.Checklist {
		require.True(t, a.Answer)
	}
	// SLA: business hours, Friday 18:00 → Monday 18:00.
	require.Equal(t, time.Date(2026, 11, 30, 18, 0, 0, 0, time.UTC), r.FirstResponseDueAt.UTC())
	require.Equal(t, time.Date(2026, 12, 2, 18, 0, 0, 0, time.UTC), r.FirstContactDueAt.UTC())
	require.Equal(t, time.Date(2026, 12, 8, 18, 0, 0, 0, time.UTC), r.MeetingDueAt.UTC())
	require.Nil(t, r.PartnerResponseDueAt)
	require.Equal(t, time.Date(2027, 2, 25, 18, 0, 0, 0, time.UTC), r.ClaimExpiresAt.UTC())

	require.Equal(t, []string{"submitted"}, kinds(f.timeline(r.ID)))
	require.True(t, f.timeline(r.ID)[0].VisibleToPartner)
	require.Equal(t, "Pat Partner", f.timeline(r.ID)[0].ActorName)

	acks := f.emails("Received " + r.Ref())
	require.Len(t, acks, 2, "both portal users")
	require.Equal(t, fmt.Sprintf("Received %s for The Acme Company, Inc.: we respond within 24 business hours", r.Ref()), acks[0].Subject)
	require.Contains(t, acks[0].Text, baseURL+"/p/"+f.slug+"/referrals/"+r.ID.String())
	staff := f.emails("New referral " + r.Ref())
	require.Len(t, staff, 1)
	require.Contains(t, staff[0].To, "manager@northwind.example")
	require.Contains(t, staff[0].Text, baseURL+"/t/"+f.slug+"/referrals/"+r.ID.String())
	require.Equal(t, 1, f.count(`SELECT count(*) FROM audit_log WHERE action = 'referral.submitted' AND target_id = $1`, r.ID.String()))

	// The prospect is kept apart from the referral.
	require.Equal(t, 1, f.count(`SELECT count(*) FROM referral_prospects WHERE id = $1 AND contact_email = 'jane@acme.com'`, r.ProspectID))

	byNumber := referral.Referral{}
	require.NoError(t, f.db.InTenant(ctx, f.tenant, func(tx pgx.Tx) (err error) {
		byNumber, err = referral.GetByNumber(ctx, tx, f.tenant, r.Number)
		return err
	}))
	require.Equal(t, r.ID, byNumber.ID)
}

func TestSubmitBadInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := f.partner("Brightline", "active")
	pu := f.portalUser(p, "p@brightline.example", "Pat")
	var required uuid.UUID
	require.NoError(t, f.owner.QueryRow(context.Background(), `SELECT id FROM referral_questions WHERE tenant_id = $1 AND required ORDER BY position LIMIT 1`, f.tenant).Scan(&required))

	in := f.input(p, pu, "")
	in.ClientDomain = "not a domain"
	in.ContactName = ""
	in.ContactEmail = "jane@acme"
	in.ContactPhone = "call me"
	in.Challenge = ""
	in.Urgency = "yesterday"
	in.EstimatedValue = "-5"
	in.Answers[required] = false
	in.ServiceID = ptr(uuid.New())
	_, _, err := f.submit(in)
	require.Equal(t, apperr.EInvalid, apperr.Code(err))
	fe := apperr.FieldErrors(err)
	for _, k := range []string{"client_company", "client_domain", "contact_name", "contact_email", "contact_phone",
		"challenge", "urgency", "estimated_value", "service_id", "q_" + required.String()} {
		require.Contains(t, fe, k)
	}
	require.Equal(t, 0, f.count(`SELECT count(*) FROM referrals`))
	require.Equal(t, 0, f.count(`SELECT count(*) FROM referral_prospects`))
	require.Empty(t, f.emails(""))

	// No way to reach the client.
	in = f.input(p, pu, "Acme")
	in.ContactEmail = ""
	_, _, err = f.submit(in)
	require.Contains(t, apperr.FieldErrors(err), "contact_email")

	// Staff entries record the checklist as answered without enforcing it.
	in = f.input(p, f.admin, "Acme")
	in.Source, in.Answers = "staff", nil
	r := f.mustSubmit(in)
	require.False(t, r.Checklist[0].Answer)
	require.Equal(t, f.admin, *r.OriginatorUserID, "staff who log a referral originated it")

	// Ended and inactive partners are refused; a paused one only outbound, with the reason.
	for _, status := range []string{"ended", "inactive"} {
		q := f.partner("Gone "+status, status)
		_, _, err := f.submit(f.input(q, f.admin, "Acme"))
		require.Contains(t, apperr.FieldErrors(err)["partner_id"], status)
	}
	paused := f.partner("Slowpoke", "paused")
	_, err = f.owner.Exec(context.Background(), `INSERT INTO partner_status_history (tenant_id, partner_id, from_status, to_status, reason)
		VALUES ($1, $2, 'active', 'paused', 'Three missed SLAs in a row')`, f.tenant, paused)
	require.NoError(t, err)
	out := f.input(paused, f.admin, "Globex")
	out.Direction, out.Source = "outbound", "staff"
	_, _, err = f.submit(out)
	require.Equal(t, "Slowpoke is paused: no new referrals go to it (Three missed SLAs in a row). Choose another partner.",
		apperr.FieldErrors(err)["partner_id"])
	pin := f.input(paused, f.admin, "Globex")
	pin.Source = "staff"
	f.mustSubmit(pin) // inbound from a paused partner is still welcome

	_, _, err = f.submit(f.input(uuid.New(), pu, "Acme"))
	require.Contains(t, apperr.FieldErrors(err), "partner_id")
}

func ptr[T any](v T) *T { return &v }

// TestSubmitIdempotent: the same key returns the same referral, whatever
// the body, and queues one acknowledgment.
func TestSubmitIdempotent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := f.partner("Brightline", "active")
	pu := f.portalUser(p, "p@brightline.example", "Pat")
	in := f.input(p, pu, "Acme")
	first := f.mustSubmit(in)
	in.ClientCompany = "Acme (edited after back button)"
	again, created, err := f.submit(in)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, first.ID, again.ID)
	require.Equal(t, "Acme", again.ClientCompany)
	require.Equal(t, 1, f.count(`SELECT count(*) FROM referrals`))
	require.Len(t, f.emails("Received"), 1)

	// Another partner may use the same key.
	q := f.partner("Other", "active")
	in2 := f.input(q, f.admin, "Initech")
	in2.IdempotencyKey, in2.Source = in.IdempotencyKey, "staff"
	f.mustSubmit(in2)
}

// TestSubmitConcurrent: 100 simultaneous submissions, 80 distinct keys and 20
// repeating some of them → exactly 80 referrals and 80 acknowledgments.
func TestSubmitConcurrent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := f.partner("Brightline", "active")
	pu := f.portalUser(p, "p@brightline.example", "Pat")
	answers := f.allYes()
	keys := make([]string, 80)
	for i := range keys {
		keys[i] = uuid.NewString()
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	type result struct {
		id      uuid.UUID
		key     string
		created bool
		err     error
	}
	results := make(chan result, 100)
	for i := range 100 {
		key := keys[i%80] // 80..99 repeat keys 0..19
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := referral.SubmitInput{PartnerID: p, ClientCompany: fmt.Sprintf("Client %d", i%80),
				ContactName: "Jane", ContactEmail: fmt.Sprintf("jane%d@client%d.example", i, i%80), Challenge: "Needs help.",
				Answers: answers, Source: "portal", SubmittedBy: pu, IdempotencyKey: key}
			<-start
			r, created, err := f.submit(in)
			results <- result{r.ID, key, created, err}
		}()
	}
	close(start)
	wg.Wait()
	close(results)
	byKey := map[string]uuid.UUID{}
	created := 0
	for res := range results {
		require.NoError(t, res.err)
		if prev, ok := byKey[res.key]; ok {
			require.Equal(t, prev, res.id, "one referral per key")
		}
		byKey[res.key] = res.id
		if res.created {
			created++
		}
	}
	require.Equal(t, 80, created)
	require.Equal(t, 80, f.count(`SELECT count(*) FROM referrals`))
	require.Equal(t, 80, f.count(`SELECT count(*) FROM email_outbox WHERE subject LIKE 'Received R-%'`))
	require.Equal(t, 80, f.count(`SELECT count(DISTINCT number) FROM referrals`))
}

// TestSubmitDuplicates: messy input matches open referrals and clients; a
// match opens a conflict; credit follows the firm's rule.
func TestSubmitDuplicates(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	a := f.partner("Alpha Advisors", "active")
	b := f.partner("Beta Partners", "active")
	f.portalUser(a, "a@alpha.example", "Ann Alpha")
	f.portalUser(b, "b@beta.example", "Ben Beta")
	staff := func(p uuid.UUID, company, domain, email string) referral.SubmitInput {
		in := f.input(p, f.admin, company)
		in.Source, in.ClientDomain, in.ContactEmail = "staff", domain, email
		return in
	}
	f.setNow(time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC))
	first := f.mustSubmit(staff(a, "The Acme Company, Inc.", "https://www.acme.com/", "jane@acme.com"))
	require.Equal(t, "none", first.ConflictStatus)

	f.setNow(time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC))
	for _, c := range []struct {
		name, company, domain, email string
		by                           string
	}{
		{"name only", "acme co", "", "someone@gmail.com", "company name"},
		{"domain with www and slash", "Totally Different Name", "WWW.ACME.COM/", "x@y.example", "domain acme.com"},
		{"email domain as the domain", "Other Name", "", "bob@acme.com", "domain acme.com"},
		{"company email's domain first", "Another", "", "JANE@ACME.COM", "domain acme.com"},
	} {
		r := f.mustSubmit(staff(b, c.company, c.domain, c.email))
		require.Equal(t, "open", r.ConflictStatus, c.name)
		require.Equal(t, first.ID, *r.ConflictWithID, c.name)
		require.Equal(t, a, *r.CreditedPartnerID, "%s: first introduction wins", c.name)
		require.Contains(t, r.ConflictNote, "Alpha Advisors introduced this client first, as "+first.Ref(), c.name)
		require.Contains(t, r.ConflictNote, "(same "+c.by+")", c.name)
		require.Equal(t, []string{"submitted", "conflict"}, kinds(f.timeline(r.ID)))
		require.False(t, f.timeline(r.ID)[1].VisibleToPartner, "the conflict is internal until staff decide")
	}
	require.Equal(t, 4, f.count(`SELECT count(*) FROM referral_events WHERE referral_id = $1 AND kind = 'conflict'`, first.ID))
	// The ack tells the partner we're checking, kindly.
	require.Contains(t, f.emails("Received")[0].Text, "We are checking whether we have already been introduced")

	// A gmail address says nothing about the company, but the same person
	// is the same person.
	r := f.mustSubmit(staff(b, "Umbrella", "", "jane.doe@gmail.com"))
	require.Equal(t, "none", r.ConflictStatus)
	byEmail := f.mustSubmit(staff(a, "Umbrella Holdings Group", "", " Jane.Doe@GMAIL.com"))
	require.Equal(t, "open", byEmail.ConflictStatus)
	require.Equal(t, r.ID, *byEmail.ConflictWithID)
	require.Contains(t, byEmail.ConflictNote, "(same contact email jane.doe@gmail.com)")

	// The same partner again: a duplicate of its own referral, credit stays its own.
	dup := f.mustSubmit(staff(a, "ACME, Inc.", "", ""+"z@z.example"))
	require.Equal(t, "open", dup.ConflictStatus)
	require.Equal(t, a, *dup.CreditedPartnerID)
	require.Contains(t, dup.ConflictNote, "Duplicate: Alpha Advisors already referred this client as "+first.Ref())

	// staff_decides leaves credit empty.
	require.NoError(t, f.db.InTenant(ctx, f.tenant, func(tx pgx.Tx) error {
		s, err := referral.GetSettings(ctx, tx, f.tenant)
		require.NoError(t, err)
		s.AttributionRule = "staff_decides"
		return referral.SaveSettings(ctx, tx, f.tenant, s)
	}))
	sd := f.mustSubmit(staff(b, "Acme Corporation", "", "q@q.example"))
	require.Equal(t, "open", sd.ConflictStatus)
	require.Nil(t, sd.CreditedPartnerID)

	// An existing client.
	_, err := f.owner.Exec(ctx, `INSERT INTO clients (tenant_id, name, name_norm, domain) VALUES ($1, 'Initech LLC', 'initech', 'initech.com')`, f.tenant)
	require.NoError(t, err)
	cl := f.mustSubmit(staff(b, "Initech", "http://initech.com", "peter@initech.com"))
	require.Equal(t, "open", cl.ConflictStatus)
	require.Contains(t, cl.ConflictNote, "Already a client: Initech LLC")
	require.NotNil(t, cl.ClientID)
	require.Nil(t, cl.CreditedPartnerID)

	// Closed referrals don't block.
	_, err = f.transition(first.ID, referral.TransitionInput{To: referral.Declined, Reason: "fit", NoteForPartner: "Not our area."})
	require.NoError(t, err)
	// Nor do lapsed claims: every other Acme referral's claim lapses.
	_, err = f.owner.Exec(ctx, `UPDATE referrals SET claim_expires_at = '2026-11-03 09:00Z' WHERE client_name_norm = 'acme' OR client_domain = 'acme.com'`)
	require.NoError(t, err)
	fresh := f.mustSubmit(staff(b, "Acme", "acme.com", "new@acme.com"))
	require.Equal(t, "none", fresh.ConflictStatus, "lapsed claims don't block")
	require.Equal(t, b, *fresh.CreditedPartnerID)

	// The conflict queue, oldest first.
	var queue []referral.Referral
	require.NoError(t, f.db.InTenant(ctx, f.tenant, func(tx pgx.Tx) (err error) {
		queue, err = referral.Conflicts(ctx, tx, f.tenant)
		return err
	}))
	require.Len(t, queue, 8)
	require.True(t, !queue[0].SubmittedAt.After(queue[len(queue)-1].SubmittedAt))
}

// TestOutboundSubmit: outbound referrals notify the partner and run the
// partner-response clock; they are not matched.
func TestOutboundSubmit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.setNow(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)) // Wednesday
	p := f.partner("Brightline", "active")
	f.portalUser(p, "p@brightline.example", "Pat Partner")
	in := f.input(p, f.admin, "Acme")
	in.Direction, in.Source = "outbound", "staff"
	r := f.mustSubmit(in)
	again := f.input(p, f.admin, "Acme")
	again.Direction, again.Source = "outbound", "staff"
	r2 := f.mustSubmit(again)
	require.Equal(t, "none", r2.ConflictStatus)
	require.Equal(t, time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), r.PartnerResponseDueAt.UTC())
	require.Nil(t, r.FirstResponseDueAt)
	mails := f.emails("We've referred Acme to you")
	require.Len(t, mails, 2)
	require.Contains(t, mails[0].Text, "Accept or decline")
	require.Contains(t, mails[0].Text, "/p/"+f.slug+"/referrals/")
}

// TestSubmitConcurrentSameClient: partners introducing the same client at
// the same moment don't miss each other: exactly one is first.
func TestSubmitConcurrentSameClient(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ps := make([]uuid.UUID, 10)
	for i := range ps {
		ps[i] = f.partner(fmt.Sprintf("Partner %d", i), "active")
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, len(ps))
	for i, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := f.input(p, f.admin, "Acme")
			in.Source, in.ClientDomain, in.ContactEmail = "staff", "acme.com", fmt.Sprintf("c%d@acme.com", i)
			<-start
			_, _, err := f.submit(in)
			errs <- err
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, 1, f.count(`SELECT count(*) FROM referrals WHERE conflict_status = 'none'`))
	require.Equal(t, 9, f.count(`SELECT count(*) FROM referrals r WHERE conflict_status = 'open'
		AND conflict_with_id = (SELECT id FROM referrals WHERE conflict_status = 'none')`))
}

func TestSubmitOutboundFromPortalRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	p := f.partner("Brightline", "active")
	pu := f.portalUser(p, "p@brightline.example", "Pat")
	in := f.input(p, pu, "Acme")
	in.Direction = "outbound"
	_, _, err := f.submit(in)
	require.Contains(t, apperr.FieldErrors(err), "direction")
}
