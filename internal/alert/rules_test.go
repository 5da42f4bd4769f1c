package alert

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/period"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

var (
	today   = day("2026-11-27")
	window  = WindowFor(today)
	pid     = uuid.MustParse("7b0c1f0e-0000-4000-8000-000000000001")
	aid     = uuid.MustParse("7b0c1f0e-0000-4000-8000-0000000000a1")
	partner = PartnerFacts{PartnerID: pid, Name: "Brightline Tax", Status: "active", StatusChangedAt: day("2026-10-01")}
)

// only evaluates one partner and returns its alerts by kind.
func only(t *testing.T, p PartnerFacts, th Thresholds) map[string]Candidate {
	t.Helper()
	out := map[string]Candidate{}
	for _, c := range Evaluate([]PartnerFacts{p}, th, window) {
		_, dup := out[c.Kind]
		require.False(t, dup, "two %s alerts", c.Kind)
		require.Equal(t, pid, c.PartnerID)
		out[c.Kind] = c
	}
	return out
}

func TestWindow(t *testing.T) {
	require.Equal(t, day("2025-11-27"), window.YearFrom)
	require.Equal(t, [2]period.Quarter{{Year: 2026, Q: 2}, {Year: 2026, Q: 3}}, window.Recent)
	require.Equal(t, [2]period.Quarter{{Year: 2025, Q: 2}, {Year: 2026, Q: 1}}, window.Prior)
	require.Equal(t, day("2026-10-28"), window.SLAFrom)
	w := WindowFor(time.Date(2026, 1, 5, 23, 0, 0, 0, time.UTC))
	require.Equal(t, [2]period.Quarter{{Year: 2025, Q: 3}, {Year: 2025, Q: 4}}, w.Recent)
	require.Equal(t, [2]period.Quarter{{Year: 2024, Q: 3}, {Year: 2025, Q: 2}}, w.Prior)
}

// TestUnevenFlow: the worked example (12 sent, 2 received) and the edges
// of the ratio and the minimum.
func TestUnevenFlow(t *testing.T) {
	def := DefaultThresholds()
	for _, c := range []struct {
		name           string
		sent, received int
		th             Thresholds
		want           string // "" for no alert
	}{
		{"worked example", 12, 2, def, "We've referred 12 opportunities to you this year and received 2"},
		{"the other way", 2, 12, def, "You've referred 12 opportunities to us this year and we've sent you 2"},
		{"none back is infinite", 5, 0, def, "We've referred 5 opportunities to you this year and received 0"},
		{"below the minimum", 4, 0, def, ""},
		{"exactly 3:1", 9, 3, def, "We've referred 9 opportunities to you this year and received 3"},
		{"just under 3:1", 8, 3, def, ""},
		{"even", 10, 10, def, ""},
		{"nothing", 0, 0, def, ""},
		{"a firm's stricter ratio", 9, 3, Thresholds{UnevenRatioX10: 40, UnevenMinReferrals: 5, SilentDays: 90}, ""},
		{"a firm's lower minimum", 1, 0, Thresholds{UnevenRatioX10: 30, UnevenMinReferrals: 1, SilentDays: 90},
			"We've referred 1 opportunity to you this year and received 0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := partner
			p.Sent, p.Received = c.sent, c.received
			got, ok := only(t, p, c.th)[UnevenFlow]
			if c.want == "" {
				require.False(t, ok, got.Message)
				return
			}
			require.True(t, ok)
			require.Equal(t, c.want, got.Message)
			require.Equal(t, "uneven_flow:"+pid.String(), got.Key)
			require.Equal(t, c.sent, got.Details["sent"])
			require.Equal(t, c.received, got.Details["received"])
		})
	}
}

func TestConversionDrop(t *testing.T) {
	for _, c := range []struct {
		name           string
		pw, pd, rw, rd int
		want           string
	}{
		{"50% to 30%", 10, 20, 3, 10,
			"Conversion of their referrals fell to 30% (3 won of 10 decided) in Q2–Q3 2026, from 50% (10 of 20) in Q2 2025–Q1 2026"},
		{"exactly 15 points", 9, 20, 3, 10,
			"Conversion of their referrals fell to 30% (3 won of 10 decided) in Q2–Q3 2026, from 45% (9 of 20) in Q2 2025–Q1 2026"},
		{"14.2 points", 9, 20, 4, 13, ""},
		{"too few recent", 10, 20, 0, 4, ""},
		{"too few before", 4, 4, 0, 10, ""},
		{"rising", 2, 10, 8, 10, ""},
		{"to nothing", 5, 5, 0, 5,
			"Conversion of their referrals fell to 0% (0 won of 5 decided) in Q2–Q3 2026, from 100% (5 of 5) in Q2 2025–Q1 2026"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := partner
			p.PriorWon, p.PriorDecided, p.RecentWon, p.RecentDecided = c.pw, c.pd, c.rw, c.rd
			got, ok := only(t, p, DefaultThresholds())[ConversionDrop]
			if c.want == "" {
				require.False(t, ok, got.Message)
				return
			}
			require.True(t, ok)
			require.Equal(t, c.want, got.Message)
		})
	}
}

func TestSLABreach(t *testing.T) {
	for _, c := range []struct {
		ours, theirs int
		want         string
	}{
		{0, 0, ""},
		{1, 0, "1 SLA breach in the last 30 days (on our side)"},
		{3, 0, "3 SLA breaches in the last 30 days (all on our side)"},
		{0, 2, "2 SLA breaches in the last 30 days (all on their side)"},
		{2, 1, "3 SLA breaches in the last 30 days (2 on our side, 1 on theirs)"},
	} {
		p := partner
		p.OurBreaches, p.TheirBreaches = c.ours, c.theirs
		got, ok := only(t, p, DefaultThresholds())[SLABreach]
		require.Equal(t, c.want != "", ok)
		require.Equal(t, c.want, got.Message)
	}
}

func TestSilentPartner(t *testing.T) {
	at := func(s string) *time.Time { d := day(s); return &d }
	for _, c := range []struct {
		name   string
		status string
		became string
		last   *time.Time
		want   string
	}{
		{"90 days", "active", "2025-01-01", at("2026-08-29"), "No referral either way and no contact since 29 Aug 2026"},
		{"89 days", "active", "2025-01-01", at("2026-08-30"), ""},
		{"never anything", "active", "2026-05-01", nil, "No referral either way and no contact since it became active on 1 May 2026"},
		{"activated recently", "active", "2026-10-01", at("2026-01-01"), ""},
		{"paused", "paused", "2025-01-01", at("2026-01-01"), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := partner
			p.Status, p.StatusChangedAt, p.LastActivity = c.status, day(c.became), c.last
			got, ok := only(t, p, DefaultThresholds())[SilentPartner]
			require.Equal(t, c.want != "", ok, got.Message)
			require.Equal(t, c.want, got.Message)
		})
	}
}

func TestRelationshipAtRisk(t *testing.T) {
	dana := &Departure{Name: "Dana Lee", At: day("2026-11-02")}
	sam := &Departure{Name: "Sam Roe", At: day("2026-06-30")}
	for _, c := range []struct {
		name string
		f    func(*PartnerFacts)
		want string
	}{
		{"all three left", func(p *PartnerFacts) { p.Contacts, p.LastDeparted = 3, dana },
			"All 3 contacts at Brightline Tax have left; the last, Dana Lee, on 2 Nov 2026"},
		{"the only one left", func(p *PartnerFacts) { p.Contacts, p.LastDeparted = 1, dana },
			"The only contact at Brightline Tax, Dana Lee, left on 2 Nov 2026"},
		{"sponsor left", func(p *PartnerFacts) {
			p.Contacts, p.CurrentContacts, p.LastDeparted, p.SponsorDeparted = 2, 1, sam, sam
		}, "The executive sponsor at Brightline Tax, Sam Roe, left on 30 Jun 2026 and no one has taken the role"},
		{"sponsor replaced", func(p *PartnerFacts) {
			p.Contacts, p.CurrentContacts, p.HasSponsor, p.LastDeparted, p.SponsorDeparted = 2, 1, true, sam, sam
		}, ""},
		{"no contacts ever", func(p *PartnerFacts) {}, ""},
		{"someone left, others stay", func(p *PartnerFacts) { p.Contacts, p.CurrentContacts, p.LastDeparted = 3, 2, dana }, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := partner
			c.f(&p)
			got, ok := only(t, p, DefaultThresholds())[RelationshipAtRisk]
			require.Equal(t, c.want != "", ok, got.Message)
			require.Equal(t, c.want, got.Message)
		})
	}
}

func TestAgreementExpiring(t *testing.T) {
	for _, c := range []struct {
		end  string
		auto bool
		want string
	}{
		{"2026-12-27", false, "Version 2 of the agreement ends on 27 Dec 2026 and does not renew by itself"},
		{"2026-11-27", false, "Version 2 of the agreement ends on 27 Nov 2026 and does not renew by itself"},
		{"2026-12-28", false, ""},
		{"2026-12-01", true, ""},
		{"2026-11-26", false, ""},
	} {
		p := partner
		p.Agreement = &AgreementEnd{ID: aid, Version: 2, EffectiveTo: day(c.end), AutoRenew: c.auto}
		got, ok := only(t, p, DefaultThresholds())[AgreementExpiring]
		require.Equal(t, c.want != "", ok, c.end)
		require.Equal(t, c.want, got.Message)
		if ok {
			require.Equal(t, "agreement_expiring:"+pid.String()+":"+aid.String(), got.Key)
		}
	}
}

func TestSchedules(t *testing.T) {
	require.Equal(t, time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC), NextScan(time.Date(2026, 11, 27, 4, 59, 0, 0, time.UTC)))
	require.Equal(t, time.Date(2026, 11, 28, 5, 0, 0, 0, time.UTC), NextScan(time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)))
	// 27 Nov 2026 is a Friday: the next Monday is 30 Nov.
	require.Equal(t, time.Date(2026, 11, 30, 7, 0, 0, 0, time.UTC), NextDigest(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)))
	require.Equal(t, time.Date(2026, 11, 30, 7, 0, 0, 0, time.UTC), NextDigest(time.Date(2026, 11, 30, 6, 59, 0, 0, time.UTC)))
	require.Equal(t, time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC), NextDigest(time.Date(2026, 11, 30, 7, 0, 0, 0, time.UTC)))
	require.NotNil(t, ScanPeriodicJob())
	require.NotNil(t, DigestPeriodicJob())
}
