package referral_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/referral"
)

// TestCanMoveEveryPair checks all 64 (from, to) pairs against the table.
func TestCanMoveEveryPair(t *testing.T) {
	t.Parallel()
	allowed := map[string]string{
		"submitted":    "acknowledged contacted meeting proposal lost declined",
		"acknowledged": "contacted meeting proposal lost declined",
		"contacted":    "meeting proposal lost declined",
		"meeting":      "proposal won lost declined",
		"proposal":     "won lost declined",
		"won":          "",
		"lost":         "",
		"declined":     "",
	}
	n := 0
	for _, from := range referral.Statuses {
		want := strings.Fields(allowed[from])
		for _, to := range referral.Statuses {
			n++
			ok := slices.Contains(want, to)
			require.Equal(t, ok, referral.CanMove(from, to), "CanMove(%s, %s)", from, to)
			require.Equal(t, ok, referral.MoveMessage(from, to) == "", "MoveMessage(%s, %s) = %q", from, to, referral.MoveMessage(from, to))
		}
		require.Equal(t, want, nonNil(referral.Moves(from)), "Moves(%s) in pipeline order", from)
	}
	require.Equal(t, 64, n)
	for _, c := range [][2]string{{"", "acknowledged"}, {"bogus", "won"}, {"submitted", "bogus"}, {"submitted", ""}} {
		require.False(t, referral.CanMove(c[0], c[1]), "%q → %q", c[0], c[1])
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func TestMoveMessage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ from, to, want string }{
		{"submitted", "won", "A referral can be won only after a meeting or a proposal; from Submitted it can move to: Acknowledged, Client contacted, Meeting held, Proposal sent, Lost, Declined (not a fit)."},
		{"meeting", "contacted", "A referral at Meeting held can't go back to Client contacted; it can move to: Proposal sent, Won, Lost, Declined (not a fit)."},
		{"won", "lost", "The referral is closed (Won); closing is final."},
		{"proposal", "proposal", "The referral is already at Proposal sent."},
		{"submitted", "nope", "Choose one of: Submitted, Acknowledged, Client contacted, Meeting held, Proposal sent, Won, Lost, Declined (not a fit)."},
	} {
		require.Equal(t, c.want, referral.MoveMessage(c.from, c.to))
	}
}

func TestLabels(t *testing.T) {
	t.Parallel()
	for _, s := range referral.Statuses {
		require.NotEqual(t, s, referral.StatusLabel(s), "every status has a label")
	}
	require.Equal(t, "Meeting held", referral.StatusLabel("meeting"))
	for _, r := range referral.CloseReasons {
		require.NotEqual(t, r, referral.ReasonLabel(r))
		require.NotEmpty(t, referral.ReasonExplanation(r))
	}
	require.Equal(t, "Chose another firm", referral.ReasonLabel("competitor"))
}
