package tenant

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/db"
)

// APIToken lets other software act for a firm with a role. The secret is
// shown once; only its SHA-256 is stored.
type APIToken struct {
	ID         uuid.UUID
	TenantID   uuid.UUID
	Name       string
	Role       auth.Role
	CreatedBy  string
	LastUsedAt *time.Time
	RevokedAt  *time.Time
	CreatedAt  time.Time
}

const tokenPrefix = "aw_"

// CreateToken makes a token. The secret has the form aw_<tenant>_<random>:
// the tenant part tells the server which firm's rows to look in, so the
// look-up runs under that firm's Row-Level Security like everything else.
func CreateToken(ctx context.Context, q db.Querier, tenantID uuid.UUID, name string, role auth.Role, createdBy uuid.UUID) (APIToken, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return APIToken{}, "", apperr.Invalid(map[string]string{"name": "Name the token after what uses it (up to 100 characters)."})
	}
	secret := tokenPrefix + strings.ReplaceAll(tenantID.String(), "-", "") + "_" + auth.NewToken()
	var id uuid.UUID
	err := q.QueryRow(ctx, `INSERT INTO api_tokens (tenant_id, name, role, token_hash, created_by)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, tenantID, name, role, auth.HashToken(secret), nullID(createdBy)).Scan(&id)
	if err != nil {
		return APIToken{}, "", err
	}
	t, err := tokenWhere(ctx, q, `t.tenant_id = $1 AND t.id = $2`, tenantID, id)
	return t, secret, err
}

// TokenTenant reads the firm a token secret claims to belong to.
func TokenTenant(secret string) (uuid.UUID, bool) {
	rest, ok := strings.CutPrefix(secret, tokenPrefix)
	if !ok {
		return uuid.Nil, false
	}
	tid, _, ok := strings.Cut(rest, "_")
	if !ok || len(tid) != 32 {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(tid)
	return id, err == nil
}

// Authenticate finds the live token with this secret in the firm and notes
// its use. EUnauthorized when there is none.
func Authenticate(ctx context.Context, q db.Querier, tenantID uuid.UUID, secret string) (APIToken, error) {
	t, _, err := AuthenticateWithFirm(ctx, q, tenantID, secret)
	return t, err
}

// AuthenticateWithFirm is Authenticate that also returns the token's firm,
// read in the same statement (every API request does this first).
func AuthenticateWithFirm(ctx context.Context, q db.Querier, tenantID uuid.UUID, secret string) (APIToken, Tenant, error) {
	var t APIToken
	var f Tenant
	err := q.QueryRow(ctx, `SELECT t.id, t.tenant_id, t.name, t.role, coalesce(u.name, ''), t.last_used_at, t.revoked_at, t.created_at,
			f.id, f.slug, f.name, f.require_admin_2fa, f.created_at
		FROM api_tokens t JOIN tenants f ON f.id = t.tenant_id LEFT JOIN users u ON u.id = t.created_by
		WHERE t.tenant_id = $1 AND t.token_hash = $2 AND t.revoked_at IS NULL`, tenantID, auth.HashToken(secret)).
		Scan(&t.ID, &t.TenantID, &t.Name, &t.Role, &t.CreatedBy, &t.LastUsedAt, &t.RevokedAt, &t.CreatedAt,
			&f.ID, &f.Slug, &f.Name, &f.RequireAdmin2FA, &f.CreatedAt)
	if db.IsNoRows(err) {
		return APIToken{}, Tenant{}, apperr.Errorf(apperr.EUnauthorized, "The API token is not valid.")
	}
	if err != nil {
		return APIToken{}, Tenant{}, err
	}
	if t.LastUsedAt == nil || time.Since(*t.LastUsedAt) > time.Minute {
		if _, err := q.Exec(ctx, `UPDATE api_tokens SET last_used_at = now() WHERE tenant_id = $1 AND id = $2`, tenantID, t.ID); err != nil {
			return APIToken{}, Tenant{}, err
		}
	}
	return t, f, nil
}

const tokenSelect = `SELECT t.id, t.tenant_id, t.name, t.role, coalesce(u.name, ''), t.last_used_at, t.revoked_at, t.created_at
	FROM api_tokens t LEFT JOIN users u ON u.id = t.created_by WHERE `

func scanToken(row interface{ Scan(...any) error }) (APIToken, error) {
	var t APIToken
	err := row.Scan(&t.ID, &t.TenantID, &t.Name, &t.Role, &t.CreatedBy, &t.LastUsedAt, &t.RevokedAt, &t.CreatedAt)
	return t, err
}

func tokenWhere(ctx context.Context, q db.Querier, where string, args ...any) (APIToken, error) {
	t, err := scanToken(q.QueryRow(ctx, tokenSelect+where, args...))
	if db.IsNoRows(err) {
		return APIToken{}, apperr.NotFound("API token")
	}
	return t, err
}

// ListTokens returns a firm's tokens, live ones first.
func ListTokens(ctx context.Context, q db.Querier, tenantID uuid.UUID) ([]APIToken, error) {
	rows, err := q.Query(ctx, tokenSelect+`t.tenant_id = $1 ORDER BY t.revoked_at IS NOT NULL, t.created_at DESC`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken stops a token from working. ENotFound when it is not the firm's
// or already revoked.
func RevokeToken(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) (APIToken, error) {
	t, err := tokenWhere(ctx, q, `t.tenant_id = $1 AND t.id = $2 AND t.revoked_at IS NULL`, tenantID, id)
	if err != nil {
		return APIToken{}, err
	}
	_, err = q.Exec(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	return t, err
}
