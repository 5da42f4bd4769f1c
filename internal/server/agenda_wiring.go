package server

import (
	"context"

	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/review"
	"github.com/allyway/allyway/internal/scorecard"
)

// The review agenda's scorecard section comes from the scorecard area,
// which the review area may not import: the server, which wires areas
// together, connects them once when the package loads, before any request.
func init() {
	review.Scorecard = func(ctx context.Context, q db.Querier, req review.AgendaRequest) (review.Section, bool, error) {
		title, body, ok, err := scorecard.AgendaSection(ctx, q, req.TenantID, req.PartnerID, req.Quarter, req.Today)
		if err != nil || !ok {
			return review.Section{}, false, err
		}
		return review.Section{Key: "scorecard", Title: title, Body: body}, true, nil
	}
}
