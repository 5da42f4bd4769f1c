package identity

import (
	"context"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
)

// IndexSession records that session token belongs to user, so that all of a
// person's sessions can be ended at once.
func IndexSession(ctx context.Context, q db.Querier, userID uuid.UUID, token string) error {
	_, err := q.Exec(ctx, `INSERT INTO user_sessions (token, user_id) VALUES ($1, $2)
		ON CONFLICT (token) DO UPDATE SET user_id = EXCLUDED.user_id`, token, userID)
	return err
}

// EndSessions deletes every session of a person except keep (pass "" to end
// them all). Used on logout, password change and when a user is disabled.
func EndSessions(ctx context.Context, q db.Querier, userID uuid.UUID, keep string) (int64, error) {
	tag, err := q.Exec(ctx, `DELETE FROM sessions WHERE token IN (
		SELECT token FROM user_sessions WHERE user_id = $1 AND token <> $2)`, userID, keep)
	if err != nil {
		return 0, err
	}
	_, err = q.Exec(ctx, `DELETE FROM user_sessions WHERE user_id = $1 AND token <> $2`, userID, keep)
	return tag.RowsAffected(), err
}

// CountSessions returns how many live sessions a person has.
func CountSessions(ctx context.Context, q db.Querier, userID uuid.UUID) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT count(*) FROM user_sessions us JOIN sessions s USING (token)
		WHERE us.user_id = $1 AND s.expiry > now()`, userID).Scan(&n)
	return n, err
}

// UserForSession finds a person by id and says whether the session token
// is in their session index, in one query. ENotFound when no such person.
func UserForSession(ctx context.Context, q db.Querier, userID uuid.UUID, token string) (User, bool, error) {
	var indexed bool
	u, err := scanUser(q.QueryRow(ctx, `SELECT `+userCols+`,
			EXISTS (SELECT 1 FROM user_sessions s WHERE s.token = $2 AND s.user_id = users.id)
		FROM users WHERE id = $1`, userID, token), &indexed)
	if db.IsNoRows(err) {
		return User{}, false, apperr.NotFound("User")
	}
	return u, indexed, err
}
