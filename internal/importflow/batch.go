package importflow

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
)

// Batch is an uploaded file kept between its preview and its confirmation
// (table import_batches), so the confirmation reads what was uploaded, not
// what the browser sends back.
type Batch struct {
	ID          uuid.UUID
	Kind        string
	Filename    string
	Data        []byte
	Hash        string // the previewed plan's
	CreatedAt   time.Time
	ConfirmedAt *time.Time
}

// batchLife is how long a preview can be confirmed.
const batchLife = 24 * time.Hour

// SaveBatch keeps a previewed file. Expired batches of the firm go at the
// same time.
func SaveBatch(ctx context.Context, q db.Querier, env Env, kind, filename string, data []byte, hash string) (uuid.UUID, error) {
	if _, err := q.Exec(ctx, `DELETE FROM import_batches WHERE tenant_id = $1 AND expires_at < $2`, env.TenantID, env.Now); err != nil {
		return uuid.Nil, apperr.Internal(err)
	}
	if len(filename) > 300 {
		filename = filename[:300]
	}
	var by *uuid.UUID
	if env.UserID != uuid.Nil {
		by = &env.UserID
	}
	var id uuid.UUID
	err := q.QueryRow(ctx, `INSERT INTO import_batches (tenant_id, kind, created_by, filename, data, plan_hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		env.TenantID, kind, by, filename, data, hash, env.Now, env.Now.Add(batchLife)).Scan(&id)
	if err != nil {
		return uuid.Nil, apperr.Internal(err)
	}
	return id, nil
}

// LoadBatch reads a batch of the kind for its confirmation and locks it
// (a double click confirms once). Another firm's batch, another kind's, an
// expired one, or an unknown id is ENotFound.
func LoadBatch(ctx context.Context, q db.Querier, env Env, kind string, id uuid.UUID) (Batch, error) {
	b := Batch{ID: id, Kind: kind}
	err := q.QueryRow(ctx, `SELECT filename, data, plan_hash, created_at, confirmed_at FROM import_batches
		WHERE tenant_id = $1 AND id = $2 AND kind = $3 AND expires_at >= $4 FOR UPDATE`,
		env.TenantID, id, kind, env.Now).Scan(&b.Filename, &b.Data, &b.Hash, &b.CreatedAt, &b.ConfirmedAt)
	if db.IsNoRows(err) {
		return b, apperr.NotFound("Import")
	}
	if err != nil {
		return b, apperr.Internal(err)
	}
	return b, nil
}

// ConfirmBatch marks a batch confirmed, in the transaction that wrote its rows.
func ConfirmBatch(ctx context.Context, q db.Querier, env Env, id uuid.UUID) error {
	if _, err := q.Exec(ctx, `UPDATE import_batches SET confirmed_at = $3 WHERE tenant_id = $1 AND id = $2`, env.TenantID, id, env.Now); err != nil {
		return apperr.Internal(err)
	}
	return nil
}

// UpdateBatchHash records the plan a batch now previews (shown again after
// the data changed).
func UpdateBatchHash(ctx context.Context, q db.Querier, env Env, id uuid.UUID, hash string) error {
	if _, err := q.Exec(ctx, `UPDATE import_batches SET plan_hash = $3 WHERE tenant_id = $1 AND id = $2`, env.TenantID, id, hash); err != nil {
		return apperr.Internal(err)
	}
	return nil
}
