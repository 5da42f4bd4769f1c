package alert

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/notify"
)

// The weekly digest: one email to each of the firm's owners, admins and
// partner managers listing the open alerts raised since the last digest
// (those not yet emailed), which are then marked emailed — so each alert
// is in one digest, and a week without new alerts sends nothing.

// DigestRoles are the staff roles that get the digest.
var DigestRoles = []string{"owner", "admin", "manager"}

// Recipient is a staff member who gets the digest.
type Recipient struct {
	ID    uuid.UUID
	Name  string
	Email string
}

// DigestResult counts what a digest run did.
type DigestResult struct {
	Firms  int // firms looked at
	Emails int // emails queued
	Alerts int // alerts marked emailed
}

// Digest sends one firm's digest in tx (scoped to it): it claims the open
// alerts not yet emailed (marking them emailed at now) and queues one
// email per recipient through out. Nothing is claimed when the firm has no
// one to send to, so the alerts wait for the next digest.
func Digest(ctx context.Context, tx pgx.Tx, out *notify.Outbox, f Firm, now time.Time, baseURL string) (DigestResult, error) {
	res := DigestResult{Firms: 1}
	to, err := DigestRecipients(ctx, tx, f.ID)
	if err != nil || len(to) == 0 {
		return res, err
	}
	rows, err := tx.Query(ctx, `UPDATE alerts SET emailed_at = $2
		WHERE tenant_id = $1 AND resolved_at IS NULL AND emailed_at IS NULL RETURNING id`, f.ID, now)
	if err != nil {
		return res, fmt.Errorf("alert: claim: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil || len(ids) == 0 {
		return res, err
	}
	as, err := query(ctx, tx, selectAlerts+` WHERE a.tenant_id = $1 AND a.id = ANY($2)
		ORDER BY array_position($3::text[], a.kind),
			lower((SELECT p.name FROM partners p WHERE p.tenant_id = a.tenant_id AND p.id = a.partner_id)), a.created_at`, f.ID, ids, Kinds)
	if err != nil {
		return res, err
	}
	var open int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM alerts WHERE tenant_id = $1 AND resolved_at IS NULL`,
		f.ID).Scan(&open); err != nil {
		return res, err
	}
	ms := make([]notify.Email, 0, len(to))
	for _, r := range to {
		ms = append(ms, DigestEmail(f, r, as, open, baseURL))
	}
	if _, err := out.SendMany(ctx, tx, ms); err != nil {
		return res, err
	}
	res.Emails, res.Alerts = len(ms), len(as)
	return res, nil
}

// DigestRecipients are the firm's owners, admins and managers who can
// sign in, by name.
func DigestRecipients(ctx context.Context, q db.Querier, tenantID uuid.UUID) ([]Recipient, error) {
	rows, err := q.Query(ctx, `SELECT u.id, u.name, u.email
		FROM staff_memberships m JOIN users u ON u.id = m.user_id
		WHERE m.tenant_id = $1 AND m.role = ANY($2) AND u.disabled_at IS NULL
		ORDER BY lower(u.name), u.id`, tenantID, DigestRoles)
	if err != nil {
		return nil, fmt.Errorf("alert: recipients: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Recipient])
}

// DigestEmail is the digest for one person: the new alerts by kind, each
// with its partner and a link, and how many are open in all.
func DigestEmail(f Firm, to Recipient, as []Alert, open int, baseURL string) notify.Email {
	base := strings.TrimRight(baseURL, "/") + "/t/" + f.Slug
	firm := strings.Join(strings.Fields(f.Name), " ")
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\n", to.Name)
	if len(as) == 1 {
		fmt.Fprintf(&b, "One partner alert was raised at %s since the last digest:\n", firm)
	} else {
		fmt.Fprintf(&b, "%d partner alerts were raised at %s since the last digest:\n", len(as), firm)
	}
	kind := ""
	for _, a := range as {
		if a.Kind != kind {
			kind = a.Kind
			fmt.Fprintf(&b, "\n%s\n", KindLabel(kind))
		}
		who := a.PartnerName
		if who == "" {
			who = "The program"
		}
		fmt.Fprintf(&b, "- %s: %s.\n", who, a.Message)
		if a.PartnerID != nil {
			fmt.Fprintf(&b, "  %s/partners/%s\n", base, a.PartnerID)
		}
	}
	if open == 1 {
		fmt.Fprintf(&b, "\nOne alert is open in all: %s/alerts\n", base)
	} else {
		fmt.Fprintf(&b, "\n%d alerts are open in all: %s/alerts\n", open, base)
	}
	fmt.Fprintf(&b, "\nAlerts close by themselves when their condition clears.\n"+
		"You get this weekly digest as an owner, admin or partner manager of %s in Allyway.\n", firm)
	subject := fmt.Sprintf("Partner alerts at %s: %d new", firm, len(as))
	return notify.Email{To: to.Email, Subject: subject, Text: b.String()}
}

// RunDigests sends every firm's digest, each in its own transaction; one
// firm's failure does not stop the rest.
func RunDigests(ctx context.Context, d *db.DB, out *notify.Outbox, now time.Time, baseURL string) (DigestResult, error) {
	firms, err := allFirms(ctx, d)
	if err != nil {
		return DigestResult{}, err
	}
	var total DigestResult
	var errs []error
	for _, f := range firms {
		if err := ctx.Err(); err != nil {
			return total, errors.Join(append(errs, err)...)
		}
		var r DigestResult
		err := d.InTenant(ctx, f.ID, func(tx pgx.Tx) (err error) {
			r, err = Digest(ctx, tx, out, f, now, baseURL)
			return err
		})
		total.Firms++
		if err != nil {
			errs = append(errs, fmt.Errorf("alert: digest of %s: %w", f.Slug, err))
			continue
		}
		total.Emails += r.Emails
		total.Alerts += r.Alerts
	}
	return total, errors.Join(errs...)
}
