package survey_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/survey"
)

// portalUser adds a person with portal access to the partner.
func (f *fixture) portalUser(tenantID, partnerID uuid.UUID, email, name string) uuid.UUID {
	f.t.Helper()
	id := f.id(`INSERT INTO users (email, name) VALUES ($1, $2) RETURNING id`, email, name)
	f.exec(`INSERT INTO portal_memberships (tenant_id, user_id, partner_id, role) VALUES ($1, $2, $3, 'partner_member')`,
		tenantID, id, partnerID)
	return id
}

// TestPartnerSurveyOncePerYear: each portal user answers once per the
// firm's calendar year; a second answer is refused (before the input is
// looked at), the next year asks again; the averages, the NPS-like split
// and the comments read back per partner.
func TestPartnerSurveyOncePerYear(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	fm := f.firm("Northwind Advisory", "America/Los_Angeles")
	p := f.partner(fm.ID, "Brightline")
	q := f.partner(fm.ID, "Quill")
	ann := f.portalUser(fm.ID, p, "ann@brightline.example", "Ann Bright")
	bob := f.portalUser(fm.ID, p, "bob@brightline.example", "Bob Bright")
	quinn := f.portalUser(fm.ID, q, "quinn@quill.example", "Quinn")
	// 1 January 2027 05:00 UTC is still 31 December 2026 in Los Angeles.
	newYearsEve := time.Date(2027, 1, 1, 5, 0, 0, 0, time.UTC)

	submit := func(partnerID, userID uuid.UUID, score, comment string, at time.Time) (survey.PartnerResponse, error) {
		var r survey.PartnerResponse
		err := f.db.InPortal(ctx, fm.ID, partnerID, func(tx pgx.Tx) (err error) {
			r, err = survey.SubmitPartner(ctx, tx, fm.ID, partnerID, userID, survey.Answer{Score: score, Comment: comment}, at)
			return err
		})
		return r, err
	}
	due := func(partnerID, userID uuid.UUID, at time.Time) (int, bool) {
		var year int
		var d bool
		require.NoError(t, f.db.InPortal(ctx, fm.ID, partnerID, func(tx pgx.Tx) (err error) {
			year, d, err = survey.PromptDue(ctx, tx, fm.ID, partnerID, userID, at)
			return err
		}))
		return year, d
	}

	year, d := due(p, ann, newYearsEve)
	require.Equal(t, 2026, year)
	require.True(t, d)

	// Bad input: field errors.
	for _, s := range []string{"", "11", "-1", "7.5", "seven"} {
		_, err := submit(p, ann, s, "", newYearsEve)
		require.Equal(t, apperr.EInvalid, apperr.Code(err), s)
		require.Contains(t, apperr.FieldErrors(err)["score"], "from 0")
	}

	r, err := submit(p, ann, "9", " Responsive team. ", newYearsEve)
	require.NoError(t, err)
	require.Equal(t, 2026, r.Year)
	_, d = due(p, ann, newYearsEve)
	require.False(t, d)
	_, err = submit(p, ann, "nonsense", "", newYearsEve.Add(time.Hour))
	require.ErrorIs(t, err, survey.ErrAlreadyAnswered)
	_, err = submit(p, bob, "0", "", newYearsEve)
	require.NoError(t, err)
	_, err = submit(p, bob, "6", "", newYearsEve)
	require.ErrorIs(t, err, survey.ErrAlreadyAnswered)
	_, err = submit(q, quinn, "10", "Best partner.", newYearsEve)
	require.NoError(t, err)

	// Another partner's portal scope cannot write this partner's answers.
	err = f.db.InPortal(ctx, fm.ID, q, func(tx pgx.Tx) error {
		_, err := survey.SubmitPartner(ctx, tx, fm.ID, p, quinn, survey.Answer{Score: "10"}, newYearsEve)
		return err
	})
	require.Error(t, err)
	require.NotErrorIs(t, err, survey.ErrAlreadyAnswered)

	// The next year (in the firm's zone) asks again.
	jan := newYearsEve.Add(3 * time.Hour)
	year, d = due(p, ann, jan)
	require.Equal(t, 2027, year)
	require.True(t, d)
	_, err = submit(p, ann, "8", "Better than last year.", jan)
	require.NoError(t, err)

	avg, n, err := satisfaction(f, fm.ID, p, 2026)
	require.NoError(t, err)
	require.Equal(t, []int{45, 2}, []int{avg, n})
	avg, n, err = satisfaction(f, fm.ID, p, 2027)
	require.NoError(t, err)
	require.Equal(t, []int{80, 1}, []int{avg, n})
	avg, n, err = satisfaction(f, fm.ID, p, 2025)
	require.NoError(t, err)
	require.Equal(t, []int{0, 0}, []int{avg, n})

	var years []survey.YearSatisfaction
	var comments []survey.PartnerResponse
	require.NoError(t, f.inTenant(fm.ID, func(tx pgx.Tx) (err error) {
		if years, err = survey.PartnerYears(ctx, tx, fm.ID, p, 5); err != nil {
			return err
		}
		comments, err = survey.PartnerComments(ctx, tx, fm.ID, p, 10)
		return err
	}))
	require.Equal(t, []survey.YearSatisfaction{
		{Year: 2027, N: 1, Sum: 8, Passives: 1},
		{Year: 2026, N: 2, Sum: 9, Detractors: 1, Promoters: 1},
	}, years)
	require.Equal(t, 0, years[1].NPS())
	require.Equal(t, 0, years[0].NPS())
	require.Len(t, comments, 2)
	require.Equal(t, "Better than last year.", comments[0].Comment)
	require.Equal(t, "Ann Bright", comments[0].UserName)
	require.Equal(t, "Responsive team.", comments[1].Comment)

	// The portal sees only its own partner's answers.
	var seen int
	require.NoError(t, f.db.InPortal(ctx, fm.ID, q, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM partner_surveys`).Scan(&seen)
	}))
	require.Equal(t, 1, seen)
}

func satisfaction(f *fixture, tenantID, partnerID uuid.UUID, year int) (avg, n int, err error) {
	err = f.inTenant(tenantID, func(tx pgx.Tx) (err error) {
		avg, n, err = survey.PartnerSatisfaction(context.Background(), tx, tenantID, partnerID, year)
		return err
	})
	return avg, n, err
}

func TestNPSAndAverages(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		y         survey.YearSatisfaction
		nps, avg  int
		formatted string
	}{
		{survey.YearSatisfaction{}, 0, 0, "0.0"},
		{survey.YearSatisfaction{N: 3, Sum: 27, Promoters: 3}, 100, 90, "9.0"},
		{survey.YearSatisfaction{N: 3, Sum: 6, Detractors: 3}, -100, 20, "2.0"},
		// 2 promoters, 1 passive, 3 detractors: (2-3)/6 = -16.7% → -17.
		{survey.YearSatisfaction{N: 6, Sum: 37, Promoters: 2, Passives: 1, Detractors: 3}, -17, 62, "6.2"},
		// 85/20 = 4.25 → 42 (half to even); 87/20 = 4.35 → 44.
		{survey.YearSatisfaction{N: 20, Sum: 85, Promoters: 2, Detractors: 1}, 5, 42, "4.2"},
		{survey.YearSatisfaction{N: 20, Sum: 87}, 0, 44, "4.4"},
	} {
		require.Equal(t, c.nps, c.y.NPS(), "%+v", c.y)
		require.Equal(t, c.avg, c.y.AvgX10(), "%+v", c.y)
		require.Equal(t, c.formatted, survey.FormatAvg(c.y.AvgX10()))
	}
}
