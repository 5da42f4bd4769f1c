package review

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/period"
)

func d(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func dp(s string) *time.Time {
	t := d(s)
	return &t
}

func TestNextDue(t *testing.T) {
	for _, tc := range []struct {
		name  string
		s     DueState
		due   string
		basis string
	}{
		{"no tier, no review: 90 days after becoming active", DueState{ActiveSince: d("2026-01-10")}, "2026-04-10", BasisFirst},
		{"monthly tier, no review: 30 days", DueState{CadenceDays: 30, ActiveSince: d("2026-01-10")}, "2026-02-09", BasisFirst},
		{"quarterly tier, no review: 90 days", DueState{CadenceDays: 90, ActiveSince: d("2026-01-10")}, "2026-04-10", BasisFirst},
		{"yearly tier, no review: the first within a quarter", DueState{CadenceDays: 365, ActiveSince: d("2026-01-10")}, "2026-04-10", BasisFirst},
		{"monthly tier after a review", DueState{CadenceDays: 30, ActiveSince: d("2025-01-01"), LastHeldOn: dp("2026-03-15")}, "2026-04-14", BasisCadence},
		{"yearly tier after a review", DueState{CadenceDays: 365, ActiveSince: d("2025-01-01"), LastHeldOn: dp("2026-03-15")}, "2027-03-15", BasisCadence},
		{"no tier after a review", DueState{ActiveSince: d("2025-01-01"), LastHeldOn: dp("2026-03-15")}, "2026-06-13", BasisCadence},
		{"the date set at the review wins", DueState{CadenceDays: 30, ActiveSince: d("2025-01-01"), LastHeldOn: dp("2026-03-15"),
			NextReviewOn: dp("2026-05-01")}, "2026-05-01", BasisNextSet},
	} {
		due, basis := NextDue(tc.s)
		require.Equal(t, tc.due, due.Format(time.DateOnly), tc.name)
		require.Equal(t, tc.basis, basis, tc.name)
	}
	require.Equal(t, 90, Cadence(0))
	require.Equal(t, 30, Cadence(30))
	item := DueItem{DueOn: d("2026-04-10")}
	require.True(t, item.Overdue(d("2026-04-11")))
	require.False(t, item.Overdue(d("2026-04-10")))
}

func TestReviewedQuarter(t *testing.T) {
	for day, want := range map[string]string{
		"2026-01-01": "2025-Q4", // the quarter that just ended
		"2026-01-30": "2025-Q4",
		"2026-01-31": "2026-Q1", // 30 days in: the current one
		"2026-03-31": "2026-Q1",
		"2026-04-15": "2026-Q1",
		"2026-05-20": "2026-Q2",
		"2026-12-01": "2026-Q4",
	} {
		require.Equal(t, want, ReviewedQuarter(d(day)).String(), day)
	}
}

func TestSuggestedStart(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	require.NoError(t, err)
	// Due long ago, today a Friday: next Monday at 10:00 London time.
	got := SuggestedStart(d("2026-01-01"), d("2026-11-27"), london)
	require.Equal(t, time.Date(2026, 11, 30, 10, 0, 0, 0, london), got)
	// Due in the future: that day.
	got = SuggestedStart(d("2027-01-12"), d("2026-11-27"), london)
	require.Equal(t, time.Date(2027, 1, 12, 10, 0, 0, 0, london), got)
}

func TestScheduleFormParse(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	today := d("2026-11-27")
	s, errs := ScheduleForm{Quarter: "2026-Q4", Date: "2027-03-15", Time: "09:30", Duration: "45",
		Location: " https://meet.example/x\n", Agenda: "## A\r\n\r\nB  "}.Parse(ny, today)
	require.Empty(t, errs)
	require.Equal(t, period.Quarter{Year: 2026, Q: 4}, s.Quarter)
	// 15 March 2027 is the day after the US change to summer time: 9:30 EDT.
	require.Equal(t, time.Date(2027, 3, 15, 13, 30, 0, 0, time.UTC), s.StartsAt.UTC())
	require.Equal(t, 45, s.DurationMinutes)
	require.Equal(t, "https://meet.example/x", s.Location)
	require.Equal(t, "## A\n\nB", s.Agenda)
	s, errs = ScheduleForm{Quarter: "2026-Q4", Date: "2027-03-12", Time: "09:30", Duration: "60"}.Parse(ny, today)
	require.Empty(t, errs)
	require.Equal(t, time.Date(2027, 3, 12, 14, 30, 0, 0, time.UTC), s.StartsAt.UTC(), "still EST the Friday before")

	_, errs = ScheduleForm{Quarter: "Q4", Date: "next week", Time: "25:00", Duration: "0", Location: string(make([]byte, 501))}.Parse(ny, today)
	for _, f := range []string{"quarter", "date", "time", "duration"} {
		require.Contains(t, errs, f)
	}
	_, errs = ScheduleForm{Quarter: "2026-Q4", Date: "2029-01-01", Time: "10:00", Duration: "601"}.Parse(ny, today)
	require.Contains(t, errs, "date")
	require.Contains(t, errs, "duration")
}

func TestParseOthers(t *testing.T) {
	got, msg := ParseOthers("Jo Lee <Jo@Partner.test>\n\n  sam@partner.test\r\nPat Smith\n")
	require.Empty(t, msg)
	require.Equal(t, []AttendeeInput{
		{Side: SidePartner, Name: "Jo Lee", Email: "jo@partner.test"},
		{Side: SidePartner, Name: "sam@partner.test", Email: "sam@partner.test"},
		{Side: SidePartner, Name: "Pat Smith"},
	}, got)
	_, msg = ParseOthers("ok\nbroken@\n")
	require.Contains(t, msg, "Line 2")
	_, msg = ParseOthers("Ünal <ünal@partner.test>")
	require.Contains(t, msg, "Line 1: write the email in plain letters")
}

func TestHoldFormParse(t *testing.T) {
	today := d("2026-11-27")
	h, errs := HoldForm{HeldOn: "2026-11-20", Notes: " Good meeting ", Attended: []string{"6f1c2c36-4a53-4b7e-9d55-0c4a1f0b6a11"}}.Parse(today, 30)
	require.Empty(t, errs)
	require.Equal(t, d("2026-12-20"), h.NextReviewOn, "held day + the tier's cadence")
	require.Equal(t, "Good meeting", h.Notes)
	require.Len(t, h.Attended, 1)
	h, errs = HoldForm{HeldOn: "2026-11-20"}.Parse(today, 0)
	require.Empty(t, errs)
	require.Equal(t, d("2027-02-18"), h.NextReviewOn, "90 days without a tier")
	h, errs = HoldForm{HeldOn: "2026-11-20", NextReviewOn: "2027-01-05"}.Parse(today, 30)
	require.Empty(t, errs)
	require.Equal(t, d("2027-01-05"), h.NextReviewOn)

	_, errs = HoldForm{HeldOn: "2026-11-28"}.Parse(today, 30)
	require.Contains(t, errs["held_on"], "future")
	_, errs = HoldForm{HeldOn: "2026-11-20", NextReviewOn: "2026-11-19", Attended: []string{"x"}}.Parse(today, 30)
	require.Contains(t, errs, "next_review_on")
	require.Contains(t, errs, "attended")
	_, errs = HoldForm{HeldOn: "yesterday", NextReviewOn: "soon"}.Parse(today, 30)
	require.Contains(t, errs, "held_on")
	require.Contains(t, errs, "next_review_on")
}
