package partner

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/apperr"
)

func TestParseRateBP(t *testing.T) {
	ok := map[string]int{
		"12.5": 1250, "0": 0, "100": 10000, "20": 2000, "12.55": 1255, "0.01": 1, ".5": 50, "7.": 700,
		" 15 ": 1500, "15%": 1500, "15 %": 1500, "099": 9900, "100.00": 10000, "3.05": 305,
	}
	for in, want := range ok {
		got, err := ParseRateBP(in)
		require.NoError(t, err, "%q", in)
		assert.Equal(t, want, got, "%q", in)
	}
	for _, in := range []string{"12.555", "101", "100.01", "", ".", "-1", "+1", "1e2", "abc", "1,5", "12.5.1",
		"1 2", "0x10", "1000", "NaN", "٣"} {
		_, err := ParseRateBP(in)
		assert.Equal(t, apperr.EInvalid, apperr.Code(err), "%q should be refused", in)
	}
}

func TestFormatRateBP(t *testing.T) {
	for bp, want := range map[int]string{0: "0", 1: "0.01", 50: "0.5", 1250: "12.5", 1255: "12.55", 2000: "20", 10000: "100", 305: "3.05"} {
		assert.Equal(t, want, FormatRateBP(bp), "%d", bp)
		back, err := ParseRateBP(FormatRateBP(bp))
		require.NoError(t, err)
		assert.Equal(t, bp, back, "round trip of %d", bp)
	}
}

func TestTargetStatus(t *testing.T) {
	cases := []struct {
		members, min, max int
		want              string
	}{
		{0, 3, 5, TargetBelow},
		{2, 3, 5, TargetBelow},
		{3, 3, 5, TargetAt},
		{5, 3, 5, TargetAt},
		{6, 3, 5, TargetOver},
		{0, 0, 0, TargetNone},
		{4, 0, 0, TargetNone},
		{0, 0, 10, TargetAt},
		{1, 1, 1, TargetAt},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, TargetStatus(c.members, c.min, c.max), "%d in %d–%d", c.members, c.min, c.max)
	}
}

func TestDefaultTiersAreValid(t *testing.T) {
	tiers := DefaultTiers()
	require.Len(t, tiers, 3)
	ranks := map[int]bool{}
	for _, in := range tiers {
		require.NoError(t, in.Validate(), in.Name)
		ranks[in.Rank] = true
	}
	assert.Len(t, ranks, 3)
	assert.Equal(t, []int{30, 90, 365}, []int{tiers[0].CheckinCadenceDays, tiers[1].CheckinCadenceDays, tiers[2].CheckinCadenceDays})
	assert.Equal(t, []int{2000, 1500, 1000}, []int{tiers[0].DefaultRateBP, tiers[1].DefaultRateBP, tiers[2].DefaultRateBP})
	assert.Equal(t, [2]int{3, 5}, [2]int{tiers[0].TargetMin, tiers[0].TargetMax})
	assert.Equal(t, [2]int{10, 20}, [2]int{tiers[1].TargetMin, tiers[1].TargetMax})
}

func TestTierFormParse(t *testing.T) {
	good := TierForm{Name: "  Gold ", Rank: "4", TargetMin: "1", TargetMax: "2", Cadence: "60", Rate: "12.5", Benefits: "Lunch"}
	in, err := good.Parse()
	require.NoError(t, err)
	assert.Equal(t, TierInput{Name: "Gold", Rank: 4, TargetMin: 1, TargetMax: 2, CheckinCadenceDays: 60, DefaultRateBP: 1250, Benefits: "Lunch"}, in)

	cases := []struct {
		name  string
		edit  func(*TierForm)
		field string
	}{
		{"empty name", func(f *TierForm) { f.Name = "  " }, "name"},
		{"rank 0", func(f *TierForm) { f.Rank = "0" }, "rank"},
		{"rank 21", func(f *TierForm) { f.Rank = "21" }, "rank"},
		{"rank text", func(f *TierForm) { f.Rank = "one" }, "rank"},
		{"max below min", func(f *TierForm) { f.TargetMin, f.TargetMax = "5", "3" }, "target_max"},
		{"negative min", func(f *TierForm) { f.TargetMin = "-1" }, "target_min"},
		{"cadence 0", func(f *TierForm) { f.Cadence = "0" }, "checkin_cadence_days"},
		{"cadence 731", func(f *TierForm) { f.Cadence = "731" }, "checkin_cadence_days"},
		{"rate three decimals", func(f *TierForm) { f.Rate = "12.555" }, "rate"},
		{"rate over 100", func(f *TierForm) { f.Rate = "101" }, "rate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := good
			c.edit(&f)
			_, err := f.Parse()
			require.Equal(t, apperr.EInvalid, apperr.Code(err))
			assert.Contains(t, apperr.FieldErrors(err), c.field)
			assert.Len(t, apperr.FieldErrors(err), 1, "%v", apperr.FieldErrors(err))
		})
	}
}

func TestDaysInStageAndYear(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	assert.Equal(t, 0, DaysInStage(now, now.Add(-23*time.Hour)))
	assert.Equal(t, 1, DaysInStage(now, now.Add(-25*time.Hour)))
	assert.Equal(t, 30, DaysInStage(now, now.AddDate(0, 0, -30)))
	assert.Equal(t, 0, DaysInStage(now, now.Add(time.Hour)), "a clock ahead is never negative")
	from, to := YearBounds(now)
	assert.Equal(t, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), from)
	assert.Equal(t, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), to)
}
