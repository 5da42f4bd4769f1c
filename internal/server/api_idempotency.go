package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
)

// Idempotent creates. A create that carries `Idempotency-Key` runs in one
// transaction that
//
//  1. takes a transaction-scoped advisory lock on (firm, key), so a
//     concurrent request with the same key waits for this one to finish;
//  2. looks the key up in api_idempotency: when it is there the request
//     answers the stored status and body again (same request) or 409
//     (another method, path or body), and changes nothing;
//  3. otherwise makes the change (its audit row included) and stores the
//     key with the response it is about to send.
//
// The change and the stored response commit together or not at all, so a
// key can never stand for a half-done or rolled-back create. The lock only
// saves wasted work: the key's primary key is the real guard. If an insert
// of the key ever finds it taken (a lock-hash collision cannot cause that,
// only a lock that was somehow not held), the whole transaction rolls back
// and the request is answered from the stored key.
//
// Only successful responses are stored: a request that failed changed
// nothing, so retrying it with the same key simply runs it again. Keys are
// remembered for idempotencyTTL; an older key counts as new.

// idempotencyTTL is how long a key and its response are kept.
const idempotencyTTL = 24 * time.Hour

// apiCreateFunc makes a change in tx and returns the status and value to answer.
type apiCreateFunc func(ctx context.Context, tx pgx.Tx, ac *apiCtx) (int, any, error)

// storedResponse is a response kept under an idempotency key.
type storedResponse struct {
	Hash   []byte
	Status int
	Body   []byte
}

var errKeyRace = errors.New("api: idempotency key stored by a concurrent request")

// apiCreate runs a create, honouring the request's Idempotency-Key. raw is
// the request body as read by readJSON.
func (s *Server) apiCreate(w http.ResponseWriter, r *http.Request, raw []byte, fn apiCreateFunc) {
	ctx := r.Context()
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		var res storedResponse
		err := s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) (err error) {
			res, err = runCreate(ctx, tx, ac, fn)
			return err
		})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSONBody(w, res.Status, res.Body)
		return
	}
	if !validIdempotencyKey(key) {
		s.problem(w, r, http.StatusBadRequest, http.StatusText(http.StatusBadRequest),
			"Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is a good choice).", nil)
		return
	}
	hash := requestHash(r.Method, r.URL.Path, raw)
	for attempt := 0; ; attempt++ {
		var res storedResponse
		replayed := false
		err := s.inAPI(r, func(tx pgx.Tx, ac *apiCtx) error {
			if err := db.XactLock(ctx, tx, "api_idempotency:"+ac.Tenant.ID.String()+":"+key); err != nil {
				return err
			}
			prev, found, err := lookupIdempotencyKey(ctx, tx, ac.Tenant.ID, key)
			if err != nil {
				return err
			}
			if found {
				if !bytes.Equal(prev.Hash, hash) {
					return apperr.Errorf(apperr.EConflict,
						"This Idempotency-Key was already used for a different request; use a new key for a new request.")
				}
				res, replayed = prev, true
				return nil
			}
			if res, err = runCreate(ctx, tx, ac, fn); err != nil {
				return err
			}
			res.Hash = hash
			return storeIdempotencyKey(ctx, tx, ac.Tenant.ID, key, r.Method, r.URL.Path, res)
		})
		if errors.Is(err, errKeyRace) && attempt == 0 {
			continue
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if replayed {
			w.Header().Set("Idempotent-Replayed", "true")
		}
		writeJSONBody(w, res.Status, res.Body)
		return
	}
}

func runCreate(ctx context.Context, tx pgx.Tx, ac *apiCtx, fn apiCreateFunc) (storedResponse, error) {
	status, v, err := fn(ctx, tx, ac)
	if err != nil {
		return storedResponse{}, err
	}
	body, err := encodeJSON(v)
	if err != nil {
		return storedResponse{}, err
	}
	return storedResponse{Status: status, Body: body}, nil
}

// validIdempotencyKey: 1 to 255 visible ASCII characters.
func validIdempotencyKey(k string) bool {
	if len(k) == 0 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// requestHash identifies a request for its idempotency key: the method, the
// path and the body. A JSON body is hashed in canonical form (keys sorted,
// no insignificant space), so a client that re-encodes the same object
// differently on a retry is still recognised.
func requestHash(method, path string, body []byte) []byte {
	h := sha256.New()
	h.Write([]byte(method + " " + strings.TrimSuffix(path, "/") + "\n"))
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&v) == nil {
		if canon, err := json.Marshal(v); err == nil {
			body = canon
		}
	}
	h.Write(body)
	return h.Sum(nil)
}

// lookupIdempotencyKey finds a live key of the firm. An expired one is
// deleted and reported as not found.
func lookupIdempotencyKey(ctx context.Context, q db.Querier, tenantID uuid.UUID, key string) (storedResponse, bool, error) {
	var res storedResponse
	var expired bool
	err := q.QueryRow(ctx, `SELECT request_hash, status, body, created_at < now() - make_interval(secs => $3)
		FROM api_idempotency WHERE tenant_id = $1 AND key = $2`, tenantID, key, idempotencyTTL.Seconds()).
		Scan(&res.Hash, &res.Status, &res.Body, &expired)
	if db.IsNoRows(err) {
		return storedResponse{}, false, nil
	}
	if err != nil {
		return storedResponse{}, false, err
	}
	if expired {
		_, err = q.Exec(ctx, `DELETE FROM api_idempotency WHERE tenant_id = $1 AND key = $2`, tenantID, key)
		return storedResponse{}, false, err
	}
	return res, true, nil
}

// storeIdempotencyKey keeps the response under the key; errKeyRace when the
// key is already taken.
func storeIdempotencyKey(ctx context.Context, q db.Querier, tenantID uuid.UUID, key, method, path string, res storedResponse) error {
	tag, err := q.Exec(ctx, `INSERT INTO api_idempotency (tenant_id, key, method, path, request_hash, status, body)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, key) DO NOTHING`,
		tenantID, key, method, path, res.Hash, res.Status, res.Body)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return errKeyRace
	}
	return nil
}
