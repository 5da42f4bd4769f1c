package referral_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/referral"
)

func TestListFilters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	a := f.partner("Alpha", "active")
	b := f.partner("Beta", "active")
	mk := func(p uuid.UUID, company, value string, at time.Time) referral.Referral {
		f.setNow(at)
		in := f.input(p, f.admin, company)
		in.Source, in.EstimatedValue = "staff", value
		return f.mustSubmit(in)
	}
	d := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	r1 := mk(a, "Acme", "1000", d)
	r2 := mk(b, "Globex", "50000", d.Add(24*time.Hour))
	r3 := mk(a, "Initech", "", d.Add(48*time.Hour))
	f.setNow(d.Add(60 * time.Hour))
	out := f.input(b, f.admin, "Hooli")
	out.Direction, out.Source = "outbound", "staff"
	r4 := f.mustSubmit(out)
	_, err := f.transition(r1.ID, referral.TransitionInput{To: referral.Declined, Reason: "fit", NoteForPartner: "No."})
	require.NoError(t, err)

	now := d.Add(72 * time.Hour)
	require.Equal(t, []uuid.UUID{r4.ID, r3.ID, r2.ID, r1.ID}, f.list(referral.Filter{}, now))
	require.Equal(t, []uuid.UUID{r4.ID, r3.ID, r2.ID}, f.list(referral.Filter{Open: true}, now))
	require.Equal(t, []uuid.UUID{r4.ID}, f.list(referral.Filter{Direction: "outbound"}, now))
	require.Equal(t, []uuid.UUID{r3.ID, r1.ID}, f.list(referral.Filter{PartnerID: &a}, now))
	require.Equal(t, []uuid.UUID{r1.ID}, f.list(referral.Filter{Statuses: []string{referral.Declined}}, now))
	require.Equal(t, []uuid.UUID{r2.ID}, f.list(referral.Filter{Q: "glob"}, now))
	require.Equal(t, []uuid.UUID{r2.ID}, f.list(referral.Filter{Q: "R-" + strconv.FormatInt(r2.Number, 10)}, now))
	require.Equal(t, []uuid.UUID{r3.ID, r1.ID}, f.list(referral.Filter{Q: "alpha"}, now), "by partner name")
	require.Empty(t, f.list(referral.Filter{Q: "a%_"}, now), "LIKE wildcards are literal")
	require.Equal(t, []uuid.UUID{r2.ID, r4.ID, r1.ID, r3.ID}, f.list(referral.Filter{Sort: "value"}, now), "50,000, 25,000, 1,000, none")
	require.Equal(t, []uuid.UUID{r1.ID, r2.ID, r4.ID, r3.ID}, f.list(referral.Filter{Sort: "company"}, now))
	require.Equal(t, []uuid.UUID{r2.ID}, f.list(referral.Filter{From: d.Add(time.Hour), To: d.Add(25 * time.Hour)}, now))
	// Due: the earliest unmet due time first; closed ones last.
	due := f.list(referral.Filter{Sort: "due"}, now)
	require.Equal(t, r1.ID, due[len(due)-1])

	// Pages and the total.
	require.NoError(t, f.db.InTenant(ctx, f.tenant, func(tx pgx.Tx) error {
		rs, total, err := referral.List(ctx, tx, f.tenant, referral.Filter{Limit: 2, Offset: 2}, now)
		require.Len(t, rs, 2)
		require.Equal(t, 4, total)
		require.Equal(t, r2.ID, rs[0].ID)
		rs, total, err2 := referral.List(ctx, tx, f.tenant, referral.Filter{Limit: 2, Offset: 10}, now)
		require.Empty(t, rs)
		require.Equal(t, 4, total)
		counts, err3 := referral.CountByStatus(ctx, tx, f.tenant, referral.Filter{PartnerID: &a, Statuses: []string{"won"}})
		require.Equal(t, map[string]int{"submitted": 1, "acknowledged": 0, "contacted": 0, "meeting": 0, "proposal": 0,
			"won": 0, "lost": 0, "declined": 1}, counts)
		if err := firstErr(err, err2, err3); err != nil {
			return err
		}
		// A full page counts the rest, with the joins the filter needs.
		rs, total, err = referral.List(ctx, tx, f.tenant, referral.Filter{Q: "alpha", Limit: 1}, now)
		require.Equal(t, []uuid.UUID{r3.ID}, ids(rs))
		require.Equal(t, 2, total, "the partner's name is searched in the count too")
		return err
	}))

	// The list page: a page and whether more follow, and counts that stop
	// at a bound (past it, "more than").
	require.NoError(t, f.db.InTenant(ctx, f.tenant, func(tx pgx.Tx) error {
		rs, more, err := referral.ListPage(ctx, tx, f.tenant, referral.Filter{Limit: 3}, now)
		require.Equal(t, []uuid.UUID{r4.ID, r3.ID, r2.ID}, ids(rs))
		require.True(t, more)
		rs, more, err2 := referral.ListPage(ctx, tx, f.tenant, referral.Filter{Limit: 3, Offset: 3}, now)
		require.Equal(t, []uuid.UUID{r1.ID}, ids(rs))
		require.False(t, more)
		counts, err3 := referral.CountByStatusUpTo(ctx, tx, f.tenant, referral.Filter{}, 1)
		require.Equal(t, map[string]int{"submitted": 2, "acknowledged": 0, "contacted": 0, "meeting": 0, "proposal": 0,
			"won": 0, "lost": 0, "declined": 1}, counts, "3 submitted counted up to 1+1")
		counts, err4 := referral.CountByStatusUpTo(ctx, tx, f.tenant, referral.Filter{Q: "alpha", Statuses: []string{"won"}}, 10)
		require.Equal(t, map[string]int{"submitted": 1, "acknowledged": 0, "contacted": 0, "meeting": 0, "proposal": 0,
			"won": 0, "lost": 0, "declined": 1}, counts)
		exact, err5 := referral.CountByStatus(ctx, tx, f.tenant, referral.Filter{AtRisk: true})
		capped, err6 := referral.CountByStatusUpTo(ctx, tx, f.tenant, referral.Filter{AtRisk: true}, 10)
		require.Equal(t, exact, capped)
		return firstErr(err, err2, err3, err4, err5, err6)
	}))

	// Another firm sees nothing of these.
	other := f.firm("other")
	require.NoError(t, f.db.InTenant(ctx, other, func(tx pgx.Tx) error {
		rs, total, err := referral.List(ctx, tx, other, referral.Filter{}, now)
		require.Empty(t, rs)
		require.Zero(t, total)
		_, err2 := referral.Get(ctx, tx, other, r2.ID)
		require.Equal(t, apperr.ENotFound, apperr.Code(err2))
		_, err3 := referral.Transition(ctx, tx, f.notifier(), other, r2.ID, referral.TransitionInput{To: referral.Acknowledged, ActorKind: "staff"})
		require.Equal(t, apperr.ENotFound, apperr.Code(err3))
		return err
	}))
}

func ids(rs []referral.Referral) []uuid.UUID {
	out := []uuid.UUID{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func TestEngagementsPaging(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	p := f.partner("Alpha", "active")
	r := f.mustSubmit(f.input(p, f.admin, "Acme"))
	in := func(fn func(tx pgx.Tx) error) error { return f.db.InTenant(ctx, f.tenant, fn) }
	require.Equal(t, apperr.EConflict, apperr.Code(in(func(tx pgx.Tx) error {
		_, err := referral.CreateEngagement(ctx, tx, f.tenant, r.ID, referral.EngagementInput{Value: "100"}, f.admin)
		return err
	})), "only won referrals have engagements")
	for _, to := range []string{referral.Meeting, referral.Won} {
		_, err := f.transition(r.ID, referral.TransitionInput{To: to, Engagement: won("1000")})
		require.NoError(t, err)
	}
	for i, day := range []string{"2027-01-01", "2027-02-01", "2027-02-01"} {
		require.NoError(t, in(func(tx pgx.Tx) error {
			e, err := referral.CreateEngagement(ctx, tx, f.tenant, r.ID, referral.EngagementInput{Kind: "retainer",
				Name: "Retainer " + day, Value: "2,000", StartedOn: day}, f.admin)
			require.Equal(t, int64(200_000), e.ValueCents, i)
			return err
		}))
	}
	require.Contains(t, apperr.FieldErrors(in(func(tx pgx.Tx) error {
		_, err := referral.CreateEngagement(ctx, tx, f.tenant, r.ID, referral.EngagementInput{Value: "-3", StartedOn: "2027-13-01"}, f.admin)
		return err
	})), "started_on")
	var all []referral.Engagement
	require.NoError(t, in(func(tx pgx.Tx) error {
		var page []referral.Engagement
		after, afterID := time.Time{}, uuid.Nil
		for {
			var err error
			page, err = referral.ListEngagements(ctx, tx, f.tenant, nil, &p, 2, after, afterID)
			if err != nil || len(page) == 0 {
				return err
			}
			all = append(all, page...)
			after, afterID = page[len(page)-1].StartedOn, page[len(page)-1].ID
		}
	}))
	require.Len(t, all, 4)
	seen := map[uuid.UUID]bool{}
	for i, e := range all {
		require.False(t, seen[e.ID])
		seen[e.ID] = true
		if i > 0 {
			require.False(t, e.StartedOn.After(all[i-1].StartedOn), "newest start first")
		}
	}
	require.NoError(t, in(func(tx pgx.Tx) error {
		e, err := referral.GetEngagement(ctx, tx, f.tenant, all[0].ID)
		require.Equal(t, "Alpha", e.PartnerName)
		require.Equal(t, "Acme", e.ClientCompany)
		return err
	}))
}

func TestSettingsAndQuestions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	in := func(fn func(tx pgx.Tx) error) error { return f.db.InTenant(ctx, f.tenant, fn) }
	require.NoError(t, in(func(tx pgx.Tx) error {
		s, err := referral.GetSettings(ctx, tx, f.tenant)
		require.Equal(t, referral.DefaultSettings(), s, "no settings row: the schema's defaults")
		return err
	}))
	bad := referral.Settings{TimeZone: "Mars/Olympus", SLAClock: "lunar", FirstResponseHours: 0, FirstContactHours: 721,
		MeetingDays: 91, PartnerResponseHours: -1, ReminderHours: 200, AttributionRule: "loudest", ClaimWindowDays: 0}
	fe := apperr.FieldErrors(bad.Validate())
	for _, k := range []string{"time_zone", "sla_clock", "first_response_hours", "first_contact_hours", "meeting_days",
		"partner_response_hours", "reminder_hours", "attribution_rule", "claim_window_days"} {
		require.Contains(t, fe, k)
	}
	good := referral.Settings{TimeZone: "America/New_York", SLAClock: "calendar", FirstResponseHours: 8, FirstContactHours: 48,
		MeetingDays: 10, PartnerResponseHours: 24, ReminderHours: 2, AttributionRule: "staff_decides", ClaimWindowDays: 60}
	require.NoError(t, in(func(tx pgx.Tx) error { return referral.SaveSettings(ctx, tx, f.tenant, good) }))
	require.NoError(t, in(func(tx pgx.Tx) error {
		s, err := referral.GetSettings(ctx, tx, f.tenant)
		require.Equal(t, good, s)
		return err
	}))
	require.Equal(t, "8 hours", good.ResponsePromise())
	// The new settings drive the clocks: 8 calendar hours.
	f.setNow(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))
	p := f.partner("Alpha", "active")
	r := f.mustSubmit(f.input(p, f.admin, "Acme"))
	require.Equal(t, time.Date(2026, 11, 28, 20, 0, 0, 0, time.UTC), r.FirstResponseDueAt.UTC())

	// The checklist: SetUpFirm is idempotent; questions are edited, added, removed.
	require.NoError(t, in(func(tx pgx.Tx) error { return referral.SetUpFirm(ctx, tx, f.tenant) }))
	var qs []referral.Question
	require.NoError(t, in(func(tx pgx.Tx) (err error) { qs, err = referral.Questions(ctx, tx, f.tenant, false); return err }))
	require.Len(t, qs, len(referral.DefaultQuestions))
	require.Contains(t, apperr.FieldErrors(in(func(tx pgx.Tx) error {
		_, err := referral.SaveQuestion(ctx, tx, f.tenant, referral.Question{Question: " "})
		return err
	})), "question")
	require.NoError(t, in(func(tx pgx.Tx) error {
		added, err := referral.SaveQuestion(ctx, tx, f.tenant, referral.Question{Question: "Is the client in the US?", Required: true, Active: true})
		require.Equal(t, len(qs)+1, added.Position)
		return err
	}))
	qs[0].Active = false
	require.NoError(t, in(func(tx pgx.Tx) error { _, err := referral.SaveQuestion(ctx, tx, f.tenant, qs[0]); return err }))
	require.NoError(t, in(func(tx pgx.Tx) error { return referral.DeleteQuestion(ctx, tx, f.tenant, qs[1].ID) }))
	require.Equal(t, apperr.ENotFound, apperr.Code(in(func(tx pgx.Tx) error { return referral.DeleteQuestion(ctx, tx, f.tenant, qs[1].ID) })))
	require.NoError(t, in(func(tx pgx.Tx) (err error) { qs, err = referral.Questions(ctx, tx, f.tenant, true); return err }))
	require.Len(t, qs, len(referral.DefaultQuestions)-1)
	require.Equal(t, "Is the client in the US?", qs[len(qs)-1].Question)
	// The portal reads the checklist but can't change it.
	require.Error(t, f.db.InPortal(ctx, f.tenant, p, func(tx pgx.Tx) error {
		_, err := referral.SaveQuestion(ctx, tx, f.tenant, referral.Question{Question: "Sneaky?", Active: true})
		return err
	}))
}
