package referral_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/referral"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

// TestDueAt: SLA hours are business hours (Monday–Friday, all day, in the
// firm's zone) under "business", elapsed hours otherwise.
func TestDueAt(t *testing.T) {
	t.Parallel()
	utc := time.UTC
	ny := mustLoc(t, "America/New_York")
	jer := mustLoc(t, "Asia/Jerusalem")
	at := func(loc *time.Location, y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, loc)
	}
	for _, c := range []struct {
		name  string
		start time.Time
		hours int
		clock string
		want  time.Time
	}{
		{"Friday 18:00 + 24 business hours is Monday 18:00", at(utc, 2026, 11, 27, 18, 0), 24, "business", at(utc, 2026, 11, 30, 18, 0)},
		{"Friday 18:00 + 24 calendar hours is Saturday 18:00", at(utc, 2026, 11, 27, 18, 0), 24, "calendar", at(utc, 2026, 11, 28, 18, 0)},
		{"Saturday submission starts Monday 00:00", at(utc, 2026, 11, 28, 10, 30), 4, "business", at(utc, 2026, 11, 30, 4, 0)},
		{"Sunday submission + 24 h is Tuesday 00:00", at(utc, 2026, 11, 29, 23, 59), 24, "business", at(utc, 2026, 12, 1, 0, 0)},
		{"Wednesday 10:00 + 72 business hours is Monday 10:00", at(utc, 2026, 11, 25, 10, 0), 72, "business", at(utc, 2026, 11, 30, 10, 0)},
		{"Monday 09:00 + 24 h stays in the week", at(utc, 2026, 11, 23, 9, 0), 24, "business", at(utc, 2026, 11, 24, 9, 0)},
		{"7 business days from Friday 18:00 is Tuesday 18:00 a week later", at(utc, 2026, 11, 27, 18, 0), 7 * 24, "business", at(utc, 2026, 12, 8, 18, 0)},
		{"exactly to Friday midnight", at(utc, 2026, 11, 27, 18, 0), 6, "business", at(utc, 2026, 11, 28, 0, 0)},
		{"zero hours", at(utc, 2026, 11, 28, 10, 0), 0, "business", at(utc, 2026, 11, 28, 10, 0)},
		// New York falls back on Sunday 1 November 2026, outside business time:
		// the wall clock still reads Monday 18:00 (EST), 24 elapsed business hours.
		{"NY Friday 18:00 EDT over fall-back is Monday 18:00 EST", at(ny, 2026, 10, 30, 18, 0), 24, "business", at(ny, 2026, 11, 2, 18, 0)},
		{"NY Friday 18:00 EST over spring-forward is Monday 18:00 EDT", at(ny, 2026, 3, 6, 18, 0), 24, "business", at(ny, 2026, 3, 9, 18, 0)},
		// Calendar hours are elapsed hours: across fall-back the wall clock shows one hour less.
		{"NY calendar Saturday noon + 24 h over fall-back is Sunday 11:00", at(ny, 2026, 10, 31, 12, 0), 24, "calendar", at(ny, 2026, 11, 1, 11, 0)},
		// Israel springs forward on Friday 27 March 2026 at 02:00: that
		// business day has 23 hours, so 24 elapsed hours end at 13:00.
		{"weekday DST change counts elapsed hours", at(jer, 2026, 3, 26, 12, 0), 24, "business", at(jer, 2026, 3, 27, 13, 0)},
		// The firm's zone decides the weekend: Friday 20:00 in New York is
		// Saturday 01:00 UTC.
		{"weekend in the firm's zone", time.Date(2026, 11, 28, 1, 0, 0, 0, utc), 24, "business", at(ny, 2026, 11, 30, 20, 0)},
	} {
		got := referral.DueAt(c.start, time.Duration(c.hours)*time.Hour, c.clock, c.want.Location())
		if c.name == "weekend in the firm's zone" {
			got = referral.DueAt(c.start, time.Duration(c.hours)*time.Hour, c.clock, ny)
		}
		require.True(t, c.want.Equal(got), "%s: got %s, want %s", c.name, got, c.want)
	}
	// nil zone means UTC.
	require.True(t, at(utc, 2026, 11, 30, 18, 0).Equal(referral.DueAt(at(utc, 2026, 11, 27, 18, 0), 24*time.Hour, "business", nil)))
}

// TestClocks: met, met late, breached, at risk and stopped by the close.
func TestClocks(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) // a Monday
	p := func(h float64) *time.Time {
		x := base.Add(time.Duration(h * float64(time.Hour)))
		return &x
	}
	inbound := referral.Referral{Direction: "inbound", Status: referral.Submitted, RiskWindow: 4 * time.Hour,
		FirstResponseDueAt: p(24), FirstContactDueAt: p(72), MeetingDueAt: p(168)}
	for _, c := range []struct {
		name     string
		r        func(referral.Referral) referral.Referral
		now      float64
		breached []bool
		atRisk   []bool
	}{
		{"fresh", func(r referral.Referral) referral.Referral { return r }, 1, []bool{false, false, false}, []bool{false, false, false}},
		{"due within the reminder window", func(r referral.Referral) referral.Referral { return r }, 20, []bool{false, false, false}, []bool{true, false, false}},
		{"past due", func(r referral.Referral) referral.Referral { return r }, 25, []bool{true, false, false}, []bool{false, false, false}},
		{"met in time", func(r referral.Referral) referral.Referral { r.FirstRespondedAt = p(2); return r }, 100, []bool{false, true, false}, []bool{false, false, false}},
		{"met late", func(r referral.Referral) referral.Referral {
			r.FirstRespondedAt = p(30)
			r.ContactedAt = p(30)
			return r
		}, 40, []bool{true, false, false}, []bool{false, false, false}},
		{"closed before due stops the clocks", func(r referral.Referral) referral.Referral {
			r.FirstRespondedAt, r.Status, r.ClosedAt = p(2), referral.Declined, p(2)
			return r
		}, 500, []bool{false, false, false}, []bool{false, false, false}},
		{"closed after due counts", func(r referral.Referral) referral.Referral {
			r.FirstRespondedAt, r.Status, r.ClosedAt = p(2), referral.Lost, p(80)
			return r
		}, 500, []bool{false, true, false}, []bool{false, false, false}},
		{"no reminder window, no at-risk", func(r referral.Referral) referral.Referral { r.RiskWindow = 0; return r }, 23, []bool{false, false, false}, []bool{false, false, false}},
	} {
		r := c.r(inbound)
		cls := r.Clocks(*p(c.now))
		require.Len(t, cls, 3, c.name)
		for i, cl := range cls {
			require.Equal(t, []string{"first_response", "first_contact", "meeting"}[i], cl.Name)
			require.Equal(t, c.breached[i], cl.Breached, "%s: %s breached", c.name, cl.Name)
			require.Equal(t, c.atRisk[i], cl.AtRisk, "%s: %s at risk", c.name, cl.Name)
		}
	}
	out := referral.Referral{Direction: "outbound", Status: referral.Submitted, PartnerResponseDueAt: p(48), RiskWindow: 4 * time.Hour}
	cls := out.Clocks(*p(49))
	require.Len(t, cls, 1)
	require.Equal(t, "partner_response", cls[0].Name)
	require.True(t, cls[0].Breached)
	require.True(t, out.NeedsHandOn(*p(49)))
	require.True(t, out.AtRisk(*p(49)))
	require.False(t, out.NeedsHandOn(*p(47)))
	out.PartnerDeclinedAt = p(10)
	require.True(t, out.NeedsHandOn(*p(11)), "a declined outbound referral is handed on")
	require.False(t, out.Clocks(*p(49))[0].Breached, "declining in time is an answer")
	out.PartnerDeclinedAt, out.PartnerAcceptedAt = nil, p(10)
	require.False(t, out.NeedsHandOn(*p(100)))
	require.Equal(t, *p(24), *inbound.NextDue())
}
