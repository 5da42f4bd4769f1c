package review

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/period"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/testdb"
)

// The review tests that touch data run against a real PostgreSQL.
func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

type fixture struct {
	owner *pgxpool.Pool
	db    *db.DB
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	tdb := testdb.New(t, schema.Migrator{AppPassword: testdb.AppPassword})
	owner, err := pgxpool.New(ctx, tdb.OwnerURL)
	require.NoError(t, err)
	t.Cleanup(owner.Close)
	app, err := pgxpool.New(ctx, tdb.AppURL)
	require.NoError(t, err)
	t.Cleanup(app.Close)
	return fixture{owner: owner, db: db.New(app)}
}

func (f fixture) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	_, err := f.owner.Exec(context.Background(), sql, args...)
	require.NoError(t, err)
}

func (f fixture) id(t *testing.T, sql string, args ...any) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	require.NoError(t, f.owner.QueryRow(context.Background(), sql, args...).Scan(&id))
	return id
}

func (f fixture) firm(t *testing.T, slug string) uuid.UUID {
	return f.id(t, `INSERT INTO tenants (id, slug, name) VALUES ($1, $2, $3) RETURNING id`, uuid.New(), slug, "Firm "+slug)
}

func (f fixture) user(t *testing.T, tenantID uuid.UUID, email, name, role string) uuid.UUID {
	id := f.id(t, `INSERT INTO users (email, name, password_hash) VALUES ($1, $2, 'x') RETURNING id`, email, name)
	f.exec(t, `INSERT INTO staff_memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, tenantID, id, role)
	return id
}

func (f fixture) partner(t *testing.T, tenantID uuid.UUID, name, status string, since time.Time) uuid.UUID {
	return f.id(t, `INSERT INTO partners (tenant_id, name, status, status_changed_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		tenantID, name, status, since)
}

func (f fixture) tier(t *testing.T, tenantID uuid.UUID, name string, rank, cadence int) uuid.UUID {
	return f.id(t, `INSERT INTO tiers (tenant_id, name, rank, checkin_cadence_days) VALUES ($1, $2, $3, $4) RETURNING id`,
		tenantID, name, rank, cadence)
}

func (f fixture) in(t *testing.T, tenantID uuid.UUID, fn func(ctx context.Context, tx pgx.Tx) error) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, f.db.InTenant(ctx, tenantID, func(tx pgx.Tx) error { return fn(ctx, tx) }))
}

// referral adds a referral with the given direction and status, submitted
// (and, when closed, closed) at the times given.
func (f fixture) referral(t *testing.T, tenantID, partnerID uuid.UUID, dir, status string, submitted time.Time, closed *time.Time) {
	t.Helper()
	prospect := f.id(t, `INSERT INTO referral_prospects (tenant_id, partner_id, contact_name) VALUES ($1, $2, 'Prospect') RETURNING id`, tenantID, partnerID)
	var reason *string
	if status == "lost" || status == "declined" {
		r := "fit"
		reason = &r
	}
	f.exec(t, `INSERT INTO referrals (tenant_id, direction, partner_id, prospect_id, client_company, client_name_norm, status,
		submitted_at, closed_at, close_reason) VALUES ($1, $2, $3, $4, 'Client', 'client', $5, $6, $7, $8)`,
		tenantID, dir, partnerID, prospect, status, submitted, closed, reason)
}

func ptr[T any](v T) *T { return &v }

// TestDueDatesFollowTheTierCadence: per tier, the first review within a
// quarter of becoming active, then held day + cadence, or the date set.
func TestDueDatesFollowTheTierCadence(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	firm := f.firm(t, "acme")
	other := f.firm(t, "other")
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	monthly := f.tier(t, firm, "Strategic", 1, 30)
	yearly := f.tier(t, firm, "Network", 3, 365)
	// Became active at 23:30 on 9 Jan in New York (already 10 Jan in UTC).
	since := time.Date(2026, 1, 9, 23, 30, 0, 0, ny)
	f.partner(t, firm, "Alder", "active", since)
	strat := f.partner(t, firm, "Birch", "active", since)
	net := f.partner(t, firm, "Cedar", "active", since)
	f.partner(t, firm, "Paused", "paused", since)
	f.partner(t, other, "Other firm's", "active", since)
	f.exec(t, `UPDATE partners SET tier_id = $2 WHERE id = $1`, strat, monthly)
	f.exec(t, `UPDATE partners SET tier_id = $2 WHERE id = $1`, net, yearly)

	due := func() map[string]DueItem {
		out := map[string]DueItem{}
		f.in(t, firm, func(ctx context.Context, tx pgx.Tx) error {
			items, err := Due(ctx, tx, firm, ny, uuid.Nil)
			for _, it := range items {
				out[it.PartnerName] = it
			}
			return err
		})
		return out
	}
	items := due()
	require.Len(t, items, 3, "active partners of this firm only")
	require.Equal(t, "2026-04-09", items["Alder"].DueOn.Format(time.DateOnly), "90 days from 9 Jan (the firm's day)")
	require.Equal(t, "2026-02-08", items["Birch"].DueOn.Format(time.DateOnly), "monthly tier: 30 days")
	require.Equal(t, "2026-04-09", items["Cedar"].DueOn.Format(time.DateOnly), "yearly tier: the first within a quarter")
	require.Equal(t, BasisFirst, items["Cedar"].Basis)
	require.Equal(t, "Strategic", items["Birch"].TierName)

	// Birch holds a review on 2 Mar: due 30 days later. Cedar's sets the next date itself.
	var birchReview uuid.UUID
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) error {
		r, err := Create(ctx, tx, firm, strat, Schedule{Quarter: period.Quarter{Year: 2026, Q: 1},
			StartsAt: time.Date(2026, 3, 2, 10, 0, 0, 0, ny), DurationMinutes: 60}, uuid.Nil)
		if err != nil {
			return err
		}
		birchReview = r.ID
		_, err = Hold(ctx, tx, firm, strat, r.ID, HoldInput{HeldOn: d("2026-03-02"), NextReviewOn: d("2026-04-01")}, ny)
		if err != nil {
			return err
		}
		// Cleared, as if held before next_review_on existed: cadence applies.
		_, err = tx.Exec(ctx, `UPDATE partner_reviews SET next_review_on = NULL WHERE id = $1`, r.ID)
		return err
	})
	items = due()
	require.Equal(t, "2026-04-01", items["Birch"].DueOn.Format(time.DateOnly))
	require.Equal(t, BasisCadence, items["Birch"].Basis)
	require.Equal(t, "2026-03-02", items["Birch"].LastHeldOn.Format(time.DateOnly))
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) error {
		_, err := Hold(ctx, tx, firm, strat, birchReview, HoldInput{HeldOn: d("2026-03-02"), NextReviewOn: d("2026-05-15")}, ny)
		if err != nil {
			return err
		}
		_, err = Create(ctx, tx, firm, net, Schedule{Quarter: period.Quarter{Year: 2026, Q: 1},
			StartsAt: time.Date(2026, 3, 20, 15, 0, 0, 0, ny), DurationMinutes: 30}, uuid.Nil)
		return err
	})
	items = due()
	require.Equal(t, "2026-05-15", items["Birch"].DueOn.Format(time.DateOnly))
	require.Equal(t, BasisNextSet, items["Birch"].Basis)
	require.NotNil(t, items["Cedar"].ScheduledAt, "Cedar's scheduled review is shown")
	require.Nil(t, items["Alder"].ScheduledID)
	// Earliest due first.
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) error {
		all, err := Due(ctx, tx, firm, ny, uuid.Nil)
		require.Equal(t, []string{"Alder", "Cedar", "Birch"}, []string{all[0].PartnerName, all[1].PartnerName, all[2].PartnerName})
		one, err2 := Due(ctx, tx, firm, ny, strat)
		require.Len(t, one, 1)
		return errorsJoin(err, err2)
	})
}

func errorsJoin(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// TestAgendaSections: open action items, the quarter's referrals each way
// (in the firm's zone), open alerts, the agreement, and the scorecard hook.
// Not parallel: it sets the package's Scorecard hook.
func TestAgendaSections(t *testing.T) {
	f := newFixture(t)
	firm := f.firm(t, "acme")
	ny, _ := time.LoadLocation("America/New_York")
	p := f.partner(t, firm, "Brightline", "active", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	other := f.partner(t, firm, "Other", "active", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	q3 := period.Quarter{Year: 2026, Q: 3}
	at := func(m time.Month, day, h int) time.Time { return time.Date(2026, m, day, h, 0, 0, 0, ny) }
	// Inbound: 3 submitted in Q3 (one at 23:00 on 30 Sep New York time, which is
	// already October in UTC), one won and one lost in Q3; one submitted in Q2
	// but won in Q3; one submitted on 1 Oct (Q4).
	f.referral(t, firm, p, "inbound", "submitted", at(7, 2, 9), nil)
	f.referral(t, firm, p, "inbound", "won", at(8, 1, 9), ptr(at(9, 1, 9)))
	f.referral(t, firm, p, "inbound", "lost", at(9, 30, 23), ptr(at(9, 30, 23)))
	f.referral(t, firm, p, "inbound", "won", at(5, 1, 9), ptr(at(7, 15, 9)))
	f.referral(t, firm, p, "inbound", "submitted", at(10, 1, 9), nil)
	// Outbound: 1 in Q3, declined in Q3.
	f.referral(t, firm, p, "outbound", "declined", at(8, 3, 9), ptr(at(8, 4, 9)))
	// Another partner's don't count.
	f.referral(t, firm, other, "inbound", "won", at(8, 1, 9), ptr(at(8, 2, 9)))
	f.exec(t, `INSERT INTO alerts (tenant_id, kind, partner_id, key, message) VALUES
		($1, 'uneven_flow', $2, 'uneven:1', 'We''ve referred 12 opportunities to you this year and received 2'),
		($1, 'sla_breach', $2, 'sla:1', 'Resolved one'),
		($1, 'silent_partner', $3, 'silent:1', 'Other partner''s alert')`, firm, p, other)
	f.exec(t, `UPDATE alerts SET resolved_at = now() WHERE key = 'sla:1'`)
	f.exec(t, `INSERT INTO agreements (tenant_id, partner_id, version, status, model, title, effective_from, effective_to,
		auto_renew, renewal_months, accepted_at, accepted_via) VALUES ($1, $2, 1, 'active', 'referral', 'Referral agreement',
		'2026-01-01', '2026-12-31', true, 12, now(), 'recorded')`, firm, p)
	f.exec(t, `INSERT INTO agreements (tenant_id, partner_id, version, status, model, effective_from, sent_at)
		VALUES ($1, $2, 2, 'sent', 'referral', '2027-01-01', now())`, firm, p)

	req := AgendaRequest{TenantID: firm, PartnerID: p, PartnerName: "Brightline", Quarter: q3, Loc: ny, Today: d("2026-10-05")}
	var agenda string
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) (err error) {
		agenda, err = BuildAgenda(ctx, tx, req)
		return err
	})
	require.Contains(t, agenda, "## Since last review\n\nNo open action items.")
	require.Contains(t, agenda, "## Referrals this quarter (Q3 2026)\n\n"+
		"- Received from Brightline: 3 new referrals, 2 won, 1 lost.\n"+
		"- Sent to Brightline: 1 new referral, 0 won, 0 lost, 1 declined.")
	require.Contains(t, agenda, "## Alerts\n\n- We've referred 12 opportunities to you this year and received 2")
	require.NotContains(t, agenda, "Resolved one")
	require.NotContains(t, agenda, "Other partner's alert")
	require.Contains(t, agenda, "## Agreement\n\n- Version 1 (Referral agreement), in force since 1 Jan 2026.\n"+
		"- Renewal: 31 Dec 2026 (renews automatically for 12 months).\n- Version 2 is waiting for Brightline's answer.")
	require.NotContains(t, agenda, "Scorecard")

	// Action items of a held review show under "Since last review"; the
	// scorecard step's section slots in after it.
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) error {
		r, err := Create(ctx, tx, firm, p, Schedule{Quarter: period.Quarter{Year: 2026, Q: 2}, StartsAt: at(7, 1, 10), DurationMinutes: 60}, uuid.Nil)
		if err != nil {
			return err
		}
		if _, err = Hold(ctx, tx, firm, p, r.ID, HoldInput{HeldOn: d("2026-07-01"), NextReviewOn: d("2026-10-01")}, ny); err != nil {
			return err
		}
		if _, err = AddAction(ctx, tx, firm, p, r.ID, ActionInput{Title: "Send the co-marketing plan", OwnerSide: SidePartner,
			OwnerName: "Jo Lee", DueOn: dp("2026-09-30")}); err != nil {
			return err
		}
		_, err = AddAction(ctx, tx, firm, p, r.ID, ActionInput{Title: "Intro to our tax team", OwnerSide: SideFirm, OwnerName: "Ann"})
		return err
	})
	Scorecard = func(ctx context.Context, q db.Querier, req AgendaRequest) (Section, bool, error) {
		return Section{Key: "scorecard", Title: "Scorecard", Body: "Health 72 for " + req.Quarter.Label()}, true, nil
	}
	t.Cleanup(func() { Scorecard = nil })
	var sections []Section
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) (err error) {
		sections, err = Sections(ctx, tx, req)
		return err
	})
	var keys []string
	for _, s := range sections {
		keys = append(keys, s.Key)
	}
	require.Equal(t, []string{"since_last", "scorecard", "referrals", "alerts", "agreement"}, keys)
	require.Equal(t, "Last review held 1 Jul 2026.\n\n- [ ] Send the co-marketing plan — Jo Lee, due 30 Sep 2026 (overdue)\n"+
		"- [ ] Intro to our tax team — Ann\n", sections[0].Body)
	require.Equal(t, "Health 72 for Q3 2026", sections[1].Body)
	require.True(t, strings.HasPrefix(AgendaMarkdown(sections), "## Since last review\n\nLast review held"))
}

// TestHoldActionsAndIsolation: schedule, reschedule (SEQUENCE up), hold
// with attendance, action items to done and back, cancel rules, audit, and
// another firm's or partner's ids not found.
func TestHoldActionsAndIsolation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	firm := f.firm(t, "acme")
	other := f.firm(t, "other")
	ann := f.user(t, firm, "ann@acme.test", "Ann Admin", "admin")
	stranger := f.user(t, other, "x@other.test", "X", "owner")
	p := f.partner(t, firm, "Brightline", "active", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	p2 := f.partner(t, firm, "Second", "active", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	op := f.partner(t, other, "Theirs", "active", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	jo := f.id(t, `INSERT INTO partner_contacts (tenant_id, partner_id, name, email) VALUES ($1, $2, 'Jo Lee', 'Jo@Brightline.test') RETURNING id`, firm, p)
	theirContact := f.id(t, `INSERT INTO partner_contacts (tenant_id, partner_id, name) VALUES ($1, $2, 'Not yours') RETURNING id`, firm, p2)
	loc := time.UTC
	start := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)

	var r Review
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) error {
		// Attendees must be the firm's staff and this partner's contacts.
		_, err := ResolveAttendees(ctx, tx, firm, p, []uuid.UUID{stranger}, nil, nil)
		require.Equal(t, apperr.EInvalid, apperr.Code(err))
		_, err = ResolveAttendees(ctx, tx, firm, p, nil, []uuid.UUID{theirContact}, nil)
		require.Equal(t, apperr.EInvalid, apperr.Code(err))
		as, err := ResolveAttendees(ctx, tx, firm, p, []uuid.UUID{ann}, []uuid.UUID{jo},
			[]AttendeeInput{{Side: SidePartner, Name: "Jo again", Email: "jo@brightline.test"}, {Side: SidePartner, Name: "Pat"}})
		require.NoError(t, err)
		require.Len(t, as, 3, "Jo once")
		r, err = Create(ctx, tx, firm, p, Schedule{Quarter: period.Quarter{Year: 2026, Q: 4}, StartsAt: start, DurationMinutes: 60,
			Location: "Zoom", Agenda: "## Agenda", Attendees: as}, ann)
		return err
	})
	require.Equal(t, StatusScheduled, r.Status)
	require.Equal(t, "Ann Admin", r.CreatedByName)
	require.Len(t, r.Attendees, 3)
	require.Equal(t, 0, r.ICSSequence)

	// Changing only the agenda isn't a reschedule; a new time is.
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) error {
		s := Schedule{Quarter: r.Quarter, StartsAt: start, DurationMinutes: 60, Location: "Zoom", Agenda: "## New agenda",
			Attendees: []AttendeeInput{{Side: SideFirm, Name: "Ann Admin", Email: "ann@acme.test"}, {Side: SidePartner, Name: "Jo Lee", Email: "jo@brightline.test"}}}
		got, moved, err := Update(ctx, tx, firm, p, r.ID, s)
		require.NoError(t, err)
		require.False(t, moved)
		require.Equal(t, 0, got.ICSSequence)
		require.Len(t, got.Attendees, 2)
		s.StartsAt = start.Add(24 * time.Hour)
		got, moved, err = Update(ctx, tx, firm, p, r.ID, s)
		require.NoError(t, err)
		require.True(t, moved)
		require.Equal(t, 1, got.ICSSequence)
		r = got
		return nil
	})

	// Hold it: attendance recorded, notes kept.
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) error {
		var joID uuid.UUID
		for _, a := range r.Attendees {
			if a.Email == "jo@brightline.test" {
				joID = a.ID
			}
		}
		got, err := Hold(ctx, tx, firm, p, r.ID, HoldInput{HeldOn: d("2026-12-02"), NextReviewOn: d("2027-03-02"),
			Notes: "Internal notes", SharedSummary: "Thanks for a good quarter", Attended: []uuid.UUID{joID}}, loc)
		require.NoError(t, err)
		require.Equal(t, StatusHeld, got.Status)
		require.Equal(t, time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC), got.HeldAt.UTC())
		for _, a := range got.Attendees {
			require.NotNil(t, a.Attended)
			require.Equal(t, a.ID == joID, *a.Attended, a.Name)
		}
		// A held review can't be rescheduled or cancelled, but its record can be saved again.
		_, _, err = Update(ctx, tx, firm, p, r.ID, Schedule{Quarter: r.Quarter, StartsAt: start, DurationMinutes: 60})
		require.Equal(t, apperr.EConflict, apperr.Code(err))
		_, err = Cancel(ctx, tx, firm, p, r.ID, "no")
		require.Equal(t, apperr.EConflict, apperr.Code(err))
		got, err = Hold(ctx, tx, firm, p, r.ID, HoldInput{HeldOn: d("2026-12-02"), NextReviewOn: d("2027-03-02"), Notes: "Edited"}, loc)
		require.NoError(t, err)
		require.Equal(t, "Edited", got.Notes)
		return nil
	})

	// Action items: added, edited, done and undone.
	var a Action
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) error {
		_, err := ResolveAction(ctx, tx, firm, ActionForm{Title: " ", Owner: "user:" + stranger.String(), DueOn: "soon"})
		fe := apperr.FieldErrors(err)
		require.Contains(t, fe, "title")
		require.Contains(t, fe, "owner")
		require.Contains(t, fe, "due_on")
		in, err := ResolveAction(ctx, tx, firm, ActionForm{Title: "Send the deck", Owner: "user:" + ann.String(), DueOn: "2026-12-15"})
		require.NoError(t, err)
		require.Equal(t, SideFirm, in.OwnerSide)
		require.Equal(t, "Ann Admin", in.OwnerName)
		a, err = AddAction(ctx, tx, firm, p, r.ID, in)
		require.NoError(t, err)
		in, err = ResolveAction(ctx, tx, firm, ActionForm{Title: "Send the deck v2", Owner: "partner:Jo Lee"})
		require.NoError(t, err)
		a, err = UpdateAction(ctx, tx, firm, p, r.ID, a.ID, in)
		require.NoError(t, err)
		require.Equal(t, SidePartner, a.OwnerSide)
		require.Nil(t, a.DueOn)
		in, err = ResolveAction(ctx, tx, firm, ActionForm{Title: "x", Owner: "user:" + ann.String(), OwnerOther: "Pat at Brightline"})
		require.NoError(t, err)
		require.Equal(t, "Pat at Brightline", in.OwnerName, "someone named wins over the list")
		open, err := OpenActions(ctx, tx, firm, p)
		require.NoError(t, err)
		require.Len(t, open, 1)
		a, err = SetDone(ctx, tx, firm, p, r.ID, a.ID, true, time.Date(2026, 12, 10, 9, 0, 0, 0, time.UTC))
		require.NoError(t, err)
		require.True(t, a.Done())
		open, err = OpenActions(ctx, tx, firm, p)
		require.NoError(t, err)
		require.Empty(t, open)
		a, err = SetDone(ctx, tx, firm, p, r.ID, a.ID, false, time.Now())
		require.NoError(t, err)
		require.False(t, a.Done())
		mine, err := PartnerActions(ctx, tx, firm, p)
		require.NoError(t, err)
		require.Len(t, mine, 1)
		return nil
	})
	var audits []string
	rows, err := f.owner.Query(context.Background(), `SELECT action FROM audit_log WHERE tenant_id = $1 ORDER BY id`, firm)
	require.NoError(t, err)
	audits, err = pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Equal(t, []string{"review.scheduled", "review.updated", "review.updated", "review.held", "review.record_updated",
		"review.action_added", "review.action_updated", "review.action_done", "review.action_reopened"}, audits)

	// Cancel: a reason is required; then actions can't be added.
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) error {
		r2, err := Create(ctx, tx, firm, p, Schedule{Quarter: r.Quarter, StartsAt: start, DurationMinutes: 30}, ann)
		require.NoError(t, err)
		_, err = Cancel(ctx, tx, firm, p, r2.ID, "  ")
		require.Equal(t, apperr.EInvalid, apperr.Code(err))
		r2, err = Cancel(ctx, tx, firm, p, r2.ID, "Partner is travelling")
		require.NoError(t, err)
		require.Equal(t, StatusCancelled, r2.Status)
		require.Equal(t, 1, r2.ICSSequence)
		_, err = AddAction(ctx, tx, firm, p, r2.ID, ActionInput{Title: "x", OwnerSide: SideFirm, OwnerName: "Ann"})
		require.Equal(t, apperr.EConflict, apperr.Code(err))
		_, err = Hold(ctx, tx, firm, p, r2.ID, HoldInput{HeldOn: d("2026-12-01"), NextReviewOn: d("2027-01-01")}, loc)
		require.Equal(t, apperr.EConflict, apperr.Code(err))
		return nil
	})

	// Isolation: the review under another partner, or from another firm, is not found.
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) error {
		_, err := Get(ctx, tx, firm, p2, r.ID)
		require.Equal(t, apperr.ENotFound, apperr.Code(err))
		_, err = SetDone(ctx, tx, firm, p, uuid.New(), a.ID, true, time.Now())
		require.Equal(t, apperr.ENotFound, apperr.Code(err))
		return nil
	})
	f.in(t, other, func(ctx context.Context, tx pgx.Tx) error {
		_, err := Get(ctx, tx, other, p, r.ID)
		require.Equal(t, apperr.ENotFound, apperr.Code(err))
		_, err = Get(ctx, tx, firm, p, r.ID)
		require.Equal(t, apperr.ENotFound, apperr.Code(err), "RLS hides the other firm's rows even when asked by its id")
		_, err = Create(ctx, tx, other, p, Schedule{Quarter: r.Quarter, StartsAt: start, DurationMinutes: 30}, stranger)
		require.Equal(t, apperr.ENotFound, apperr.Code(err))
		_, err = Create(ctx, tx, other, op, Schedule{Quarter: r.Quarter, StartsAt: start, DurationMinutes: 30}, stranger)
		return err
	})
	// The portal sees its own partner's reviews only, and may write nothing.
	ctx := context.Background()
	require.NoError(t, f.db.InPortal(ctx, firm, p2, func(tx pgx.Tx) error {
		rs, err := List(ctx, tx, firm, p)
		require.NoError(t, err)
		require.Empty(t, rs)
		_, err = Get(ctx, tx, firm, p, r.ID)
		require.Equal(t, apperr.ENotFound, apperr.Code(err))
		return nil
	}))
	require.NoError(t, f.db.InPortal(ctx, firm, p, func(tx pgx.Tx) error {
		rs, err := List(ctx, tx, firm, p)
		require.NoError(t, err)
		require.Len(t, rs, 2)
		require.NotEmpty(t, rs[0].Attendees)
		return nil
	}))
	err = f.db.InPortal(ctx, firm, p, func(tx pgx.Tx) error {
		_, err := SetDone(ctx, tx, firm, p, r.ID, a.ID, true, time.Now())
		return err
	})
	require.Error(t, err, "the portal can't write review rows")
}

func TestEndedPartnerGetsNoReview(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	firm := f.firm(t, "acme")
	p := f.partner(t, firm, "Gone", "ended", time.Now())
	f.in(t, firm, func(ctx context.Context, tx pgx.Tx) error {
		_, err := Create(ctx, tx, firm, p, Schedule{Quarter: period.Quarter{Year: 2026, Q: 4}, StartsAt: time.Now(), DurationMinutes: 30}, uuid.Nil)
		require.Equal(t, apperr.EConflict, apperr.Code(err))
		return nil
	})
}
