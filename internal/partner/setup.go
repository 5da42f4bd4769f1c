package partner

import (
	"context"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/db"
)

// SetUpFirm gives a new firm its defaults — the three tiers and the six
// qualification criteria — in the transaction that creates the firm, so
// reading a firm's pages never has to write. (The read paths still make the
// defaults for a firm created some other way.)
func SetUpFirm(ctx context.Context, q db.Querier, tenantID uuid.UUID) error {
	if err := EnsureDefaultTiers(ctx, q, tenantID); err != nil {
		return err
	}
	_, err := EnsureDefaultCriteria(ctx, q, tenantID)
	return err
}
