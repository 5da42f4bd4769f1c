// Package setup gives a new firm the defaults of every domain area in the
// transaction that creates it. It is the one place that knows every area's
// defaults, so the domain packages don't import each other to set a firm up.
package setup

import (
	"context"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/agreement"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/onboarding"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/referral"
)

// Firm writes a new firm's defaults: tiers and qualification criteria,
// agreement templates, the onboarding checklist, the referral checklist.
// Each area's function is idempotent.
func Firm(ctx context.Context, q db.Querier, tenantID uuid.UUID) error {
	for _, f := range []func(context.Context, db.Querier, uuid.UUID) error{
		partner.SetUpFirm,
		agreement.SetUpFirm,
		onboarding.SetUpFirm,
		referral.SetUpFirm,
		// One line per area (agreement.SetUpFirm, onboarding.SetUpFirm, referral.SetUpFirm).
	} {
		if err := f(ctx, q, tenantID); err != nil {
			return err
		}
	}
	return nil
}
