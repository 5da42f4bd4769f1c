package partner

import (
	"strings"
	"testing"
)

// TestCanMoveEveryPair checks every (from, to) pair of the seven statuses
// against the documented table.
func TestCanMoveEveryPair(t *testing.T) {
	allowed := map[string]string{
		"prospect":   "qualifying ended",
		"qualifying": "prospect onboarding ended",
		"onboarding": "active ended",
		"active":     "paused inactive ended",
		"paused":     "active inactive ended",
		"inactive":   "active ended",
		"ended":      "",
	}
	n := 0
	for _, from := range Statuses {
		want := strings.Fields(allowed[from])
		for _, to := range Statuses {
			n++
			ok := false
			for _, w := range want {
				ok = ok || w == to
			}
			if got := CanMove(from, to); got != ok {
				t.Errorf("CanMove(%s, %s) = %v, want %v", from, to, got, ok)
			}
			if msg := MoveMessage(from, to); (msg == "") != ok {
				t.Errorf("MoveMessage(%s, %s) = %q, allowed %v", from, to, msg, ok)
			}
		}
		// Moves lists the allowed ones in lifecycle order.
		got := Moves(from)
		var inOrder []string
		for _, s := range Statuses {
			for _, w := range want {
				if w == s {
					inOrder = append(inOrder, s)
				}
			}
		}
		if strings.Join(got, " ") != strings.Join(inOrder, " ") {
			t.Errorf("Moves(%s) = %v, want %v", from, got, inOrder)
		}
	}
	if n != 49 {
		t.Fatalf("checked %d pairs", n)
	}
	for _, c := range [][2]string{{"", "prospect"}, {"bogus", "active"}, {"active", "bogus"}, {"active", ""}} {
		if CanMove(c[0], c[1]) {
			t.Errorf("CanMove(%q, %q) should be false", c[0], c[1])
		}
	}
	if len(Moves("bogus")) != 0 || len(Moves("ended")) != 0 {
		t.Error("unknown and final statuses have no moves")
	}
}

func TestMoveMessage(t *testing.T) {
	for _, c := range []struct{ from, to, want string }{
		{"prospect", "active", "A prospect can't go straight to active: qualify it first."},
		{"prospect", "onboarding", "A prospect can't go straight to onboarding: qualify it first."},
		{"active", "active", "The partner is already active."},
		{"ended", "active", "An ended partnership is final: add the firm again to start over."},
		{"onboarding", "paused", "A partner being onboarded can only become active or end."},
		{"active", "prospect", "An active partner can't move to prospect; it can move to: paused, inactive, ended."},
		{"paused", "qualifying", "A paused partner can't move to qualifying; it can move to: active, inactive, ended."},
		{"active", "bogus", "Choose one of: prospect, qualifying, onboarding, active, paused, inactive, ended."},
		{"active", "paused", ""},
	} {
		if got := MoveMessage(c.from, c.to); got != c.want {
			t.Errorf("MoveMessage(%s, %s) = %q, want %q", c.from, c.to, got, c.want)
		}
	}
}

func TestReasonRequired(t *testing.T) {
	for _, s := range Statuses {
		want := s == "paused" || s == "inactive" || s == "ended"
		if ReasonRequired(s) != want {
			t.Errorf("ReasonRequired(%s) = %v", s, !want)
		}
	}
}
