package server

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/web/view"
)

// TestListTotal: the list's total adds up the selected statuses' counts;
// a status counted past referralCountUpTo makes it a lower bound.
func TestListTotal(t *testing.T) {
	t.Parallel()
	counts := map[string]int{"submitted": 3, "won": 7, "lost": referralCountUpTo + 1, "declined": 2}
	total, more := listTotal(counts, nil)
	require.Equal(t, 3+7+referralCountUpTo+2, total)
	require.True(t, more)
	total, more = listTotal(counts, []string{"won", "declined"})
	require.Equal(t, 9, total)
	require.False(t, more)

	var b strings.Builder
	require.NoError(t, view.Pagination(view.PaginationProps{From: 51, To: 100, Total: 1009, More: true}).Render(context.Background(), &b))
	require.Contains(t, b.String(), "Showing 51–100 of more than 1009")
}
