// Package audit writes the append-only audit log: who did what to which
// thing, when, from where. Every write that changes a firm's data records
// its entry in the same transaction as the change.
package audit

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/db"
)

// Actor is who is acting in a request, put in the context by the HTTP layer.
type Actor struct {
	UserID    uuid.UUID
	TokenID   uuid.UUID
	IP        string
	RequestID string
}

type actorKey struct{}

// WithActor returns ctx carrying the actor.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx (zero when none, e.g. a CLI command).
func ActorFrom(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	return a
}

// Record appends one entry for the tenant; the actor comes from ctx.
// detail is any JSON-encodable value (nil for none).
func Record(ctx context.Context, q db.Querier, tenantID uuid.UUID, action, targetType, targetID string, detail any) error {
	a := ActorFrom(ctx)
	if detail == nil {
		detail = map[string]any{}
	}
	b, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, `INSERT INTO audit_log (tenant_id, actor_user_id, actor_token_id, action,
		target_type, target_id, detail, ip, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		tenantID, nullID(a.UserID), nullID(a.TokenID), action, targetType, targetID, b, a.IP, a.RequestID)
	return err
}

// Entry is one audit log line as shown to admins.
type Entry struct {
	ID         int64
	At         time.Time
	ActorName  string
	ActorEmail string
	TokenName  string
	Action     string
	TargetType string
	TargetID   string
	Detail     map[string]any
	IP         string
}

// List returns the newest entries of a tenant, before the given id (0 for
// the newest page).
func List(ctx context.Context, q db.Querier, tenantID uuid.UUID, beforeID int64, limit int) ([]Entry, error) {
	if beforeID <= 0 {
		beforeID = 1 << 62
	}
	rows, err := q.Query(ctx, `SELECT a.id, a.at, coalesce(u.name, ''), coalesce(u.email, ''), coalesce(t.name, ''),
			a.action, a.target_type, a.target_id, a.detail, a.ip
		FROM audit_log a
		LEFT JOIN users u ON u.id = a.actor_user_id
		LEFT JOIN api_tokens t ON t.tenant_id = a.tenant_id AND t.id = a.actor_token_id
		WHERE a.tenant_id = $1 AND a.id < $2 ORDER BY a.id DESC LIMIT $3`, tenantID, beforeID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.ID, &e.At, &e.ActorName, &e.ActorEmail, &e.TokenName, &e.Action,
			&e.TargetType, &e.TargetID, &e.Detail, &e.IP); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func nullID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}
