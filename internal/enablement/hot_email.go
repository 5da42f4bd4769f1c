package enablement

import (
	"context"
	"html"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/markdown"
	"github.com/allyway/allyway/internal/notify"
)

// Recipient is a portal user of an active partner.
type Recipient struct {
	Name, Email, PartnerName string
}

func (r Recipient) address() string {
	return (&mail.Address{Name: strings.Join(strings.Fields(r.Name), " "), Address: r.Email}).String()
}

// HotRecipients are the portal users (not disabled) of the firm's active partners.
func HotRecipients(ctx context.Context, q db.Querier, tenantID uuid.UUID) ([]Recipient, error) {
	rows, err := q.Query(ctx, `SELECT u.name, u.email, p.name FROM portal_memberships m
		JOIN users u ON u.id = m.user_id
		JOIN partners p ON p.tenant_id = m.tenant_id AND p.id = m.partner_id
		WHERE m.tenant_id = $1 AND p.status = 'active' AND u.disabled_at IS NULL
		ORDER BY lower(p.name), u.email`, tenantID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Recipient, error) {
		var r Recipient
		err := row.Scan(&r.Name, &r.Email, &r.PartnerName)
		return r, err
	})
}

// ErrNoRecipients: no active partner has a portal user, so nothing was sent
// (the profile stays unsent and can be sent later).
var ErrNoRecipients = apperr.Errorf(apperr.EConflict,
	"No active partner has anyone on the portal yet, so there is no one to email. Nothing was sent.")

// SendHot emails a profile to the portal users of the firm's active partners,
// once: the profile is marked emailed in the same transaction (EConflict if it
// was already, or if it isn't this month's, or ErrNoRecipients). It returns
// how many emails it queued. baseURL ("" for none) makes the portal link.
func SendHot(ctx context.Context, tx pgx.Tx, outbox *notify.Outbox, tenantID, profileID uuid.UUID, baseURL string, now time.Time) (int, error) {
	return sendHot(ctx, tx, outbox, tenantID, profileID, baseURL, now, MonthOf(now))
}

// sendHot is SendHot for the profile of month (the monthly job's month, which
// a retry may run after the month ended).
func sendHot(ctx context.Context, tx pgx.Tx, outbox *notify.Outbox, tenantID, profileID uuid.UUID, baseURL string, now, month time.Time) (int, error) {
	h, err := scanHot(tx.QueryRow(ctx, `SELECT `+hotCols+` FROM hot_profiles WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
		tenantID, profileID))
	if db.IsNoRows(err) {
		return 0, apperr.NotFound("Profile")
	}
	if err != nil {
		return 0, err
	}
	if h.EmailedAt != nil {
		return 0, apperr.Errorf(apperr.EConflict, "%s's profile was already emailed to active partners on %s.",
			h.MonthLabel(), h.EmailedAt.UTC().Format("2 January 2006"))
	}
	if !h.Month.Equal(MonthOf(month)) {
		return 0, apperr.Errorf(apperr.EConflict, "Only this month's profile can be emailed; this one is for %s.", h.MonthLabel())
	}
	rs, err := HotRecipients(ctx, tx, tenantID)
	if err != nil {
		return 0, err
	}
	if len(rs) == 0 {
		return 0, ErrNoRecipients
	}
	var firmName, slug string
	if err := tx.QueryRow(ctx, `SELECT name, slug FROM tenants WHERE id = $1`, tenantID).Scan(&firmName, &slug); err != nil {
		return 0, err
	}
	link := ""
	if baseURL != "" {
		link = strings.TrimRight(baseURL, "/") + "/p/" + slug
	}
	for _, r := range rs {
		if _, err := outbox.Send(ctx, tx, HotEmail(h, r, firmName, link)); err != nil {
			return 0, err
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE hot_profiles SET emailed_at = $3 WHERE tenant_id = $1 AND id = $2`,
		tenantID, profileID, now); err != nil {
		return 0, err
	}
	return len(rs), audit.Record(ctx, tx, tenantID, "hot_profile.emailed", "hot_profile", profileID.String(),
		map[string]any{"month": h.Month.Format("2006-01"), "recipients": len(rs)})
}

// HotEmail is the profile addressed to one portal user, as text and HTML.
func HotEmail(h HotProfile, r Recipient, firmName, link string) notify.Email {
	greeting := "Hello,"
	if first := strings.Fields(r.Name); len(first) > 0 {
		greeting = "Hello " + first[0] + ","
	}
	intro := "This " + h.Month.Format("January") + ", this is the referral " + firmName + " would most love to receive from you:"
	var t, b strings.Builder
	t.WriteString(greeting + "\n\n" + intro + "\n\n" + h.Title + "\n\n")
	b.WriteString("<p>" + html.EscapeString(greeting) + "</p>\n<p>" + html.EscapeString(intro) + "</p>\n")
	b.WriteString("<h1>" + html.EscapeString(h.Title) + "</h1>\n")
	if strings.TrimSpace(h.BodyMD) != "" {
		t.WriteString(h.BodyMD + "\n\n")
		b.WriteString(markdown.Render(h.BodyMD))
	}
	if link != "" {
		t.WriteString("Our other resources for partners are in the partner portal:\n" + link + "\n\n")
		b.WriteString(`<p><a href="` + html.EscapeString(link) + `">Open the partner portal</a> for our other resources for partners.</p>` + "\n")
	}
	t.WriteString("— " + firmName + ", via Allyway\n")
	b.WriteString("<p>— " + html.EscapeString(firmName) + ", via Allyway</p>\n")
	subject := strings.Join(strings.Fields(firmName+": the referral we'd love this month — "+h.Title), " ")
	return notify.Email{To: r.address(), Subject: subject, Text: t.String(), HTML: b.String()}
}
