package alert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/period"
)

// Result counts what a scan did.
type Result struct {
	Firms    int // firms scanned
	Open     int // alerts open after the scan
	Raised   int // new alerts
	Updated  int // open alerts whose message or figures changed
	Resolved int // alerts whose condition cleared
	Skipped  int // firms another scan was working on
}

func (r *Result) add(o Result) {
	r.Firms += o.Firms
	r.Open += o.Open
	r.Raised += o.Raised
	r.Updated += o.Updated
	r.Resolved += o.Resolved
	r.Skipped += o.Skipped
}

// Scan evaluates the rules for one firm in tx (scoped to it) as of now and
// brings its alerts in line: a condition without an open alert raises one,
// an open alert whose message or figures changed is updated, and an open
// alert whose condition no longer holds is resolved. Idempotent; when
// another transaction is scanning the firm, it does nothing (Skipped).
// Called by the daily job and by staff who run the checks by hand.
func Scan(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, now time.Time) (Result, error) {
	locked, err := db.TryXactLock(ctx, tx, "alert_scan:"+tenantID.String())
	if err != nil {
		return Result{}, fmt.Errorf("alert: lock: %w", err)
	}
	if !locked {
		return Result{Firms: 1, Skipped: 1}, nil
	}
	s, err := GetSettings(ctx, tx, tenantID)
	if err != nil {
		return Result{}, err
	}
	w := WindowFor(period.Today(now, s.Location))
	facts, err := LoadFacts(ctx, tx, tenantID, s, w, now)
	if err != nil {
		return Result{}, err
	}
	return apply(ctx, tx, tenantID, Evaluate(facts, s.Thresholds, w), now)
}

// apply upserts the candidates by key and resolves every other open alert.
func apply(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, cs []Candidate, now time.Time) (Result, error) {
	res := Result{Firms: 1, Open: len(cs)}
	n := len(cs)
	kinds, keys, messages, details := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	partners := make([]uuid.UUID, n)
	for i, c := range cs {
		b, err := json.Marshal(c.Details)
		if err != nil {
			return res, fmt.Errorf("alert: details: %w", err)
		}
		if c.Details == nil {
			b = []byte("{}")
		}
		kinds[i], partners[i], keys[i], messages[i], details[i] = c.Kind, c.PartnerID, c.Key, c.Message, string(b)
	}
	if n > 0 {
		rows, err := tx.Query(ctx, `INSERT INTO alerts (tenant_id, kind, partner_id, key, message, details, created_at, updated_at)
			SELECT $1, c.kind, c.partner_id, c.key, c.message, c.details::jsonb, $7, $7
			FROM unnest($2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[]) AS c(kind, partner_id, key, message, details)
			ON CONFLICT (tenant_id, key) WHERE resolved_at IS NULL DO UPDATE
				SET message = EXCLUDED.message, details = EXCLUDED.details, updated_at = EXCLUDED.updated_at
				WHERE alerts.message <> EXCLUDED.message OR alerts.details <> EXCLUDED.details
			RETURNING xmax = 0`, tenantID, kinds, partners, keys, messages, details, now)
		if err != nil {
			return res, fmt.Errorf("alert: upsert: %w", err)
		}
		inserted, err := pgx.CollectRows(rows, pgx.RowTo[bool])
		if err != nil {
			return res, fmt.Errorf("alert: upsert: %w", err)
		}
		for _, ins := range inserted {
			if ins {
				res.Raised++
			} else {
				res.Updated++
			}
		}
	}
	tag, err := tx.Exec(ctx, `UPDATE alerts SET resolved_at = $2, updated_at = $2
		WHERE tenant_id = $1 AND resolved_at IS NULL AND NOT (key = ANY($3::text[]))`, tenantID, now, keys)
	if err != nil {
		return res, fmt.Errorf("alert: resolve: %w", err)
	}
	res.Resolved = int(tag.RowsAffected())
	return res, nil
}

// RunScans scans every firm, each in its own transaction scoped to it:
// one firm's failure is reported (joined with the others') and does not
// stop the rest.
func RunScans(ctx context.Context, d *db.DB, now time.Time) (Result, error) {
	firms, err := allFirms(ctx, d)
	if err != nil {
		return Result{}, err
	}
	var total Result
	var errs []error
	for _, f := range firms {
		if err := ctx.Err(); err != nil {
			return total, errors.Join(append(errs, err)...)
		}
		var r Result
		err := d.InTenant(ctx, f.ID, func(tx pgx.Tx) (err error) {
			r, err = Scan(ctx, tx, f.ID, now)
			return err
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("alert: scan of %s: %w", f.Slug, err))
			continue
		}
		total.add(r)
	}
	return total, errors.Join(errs...)
}

// Firm names a firm for the digest's links.
type Firm struct {
	ID   uuid.UUID
	Slug string
	Name string
}

func allFirms(ctx context.Context, d *db.DB) ([]Firm, error) {
	var firms []Firm
	err := d.Global(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, slug, name FROM tenants ORDER BY created_at, id`)
		if err != nil {
			return err
		}
		firms, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Firm])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("alert: list firms: %w", err)
	}
	return firms, nil
}
