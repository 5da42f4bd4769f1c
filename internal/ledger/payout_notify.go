package ledger

import (
	"context"
	"html"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/notify"
)

// recipient is a portal user of a partner.
type recipient struct{ name, email string }

// partnerRecipients returns the partner's portal users (admins and
// members, not disabled), by email.
func partnerRecipients(ctx context.Context, tx pgx.Tx, tenantID, partnerID uuid.UUID) ([]recipient, error) {
	rows, err := tx.Query(ctx, `SELECT u.name, u.email FROM portal_memberships m JOIN users u ON u.id = m.user_id
		WHERE m.tenant_id = $1 AND m.partner_id = $2 AND m.role IN ('partner_admin', 'partner_member') AND u.disabled_at IS NULL
		ORDER BY u.email`, tenantID, partnerID)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (recipient, error) {
		var r recipient
		return r, row.Scan(&r.name, &r.email)
	})
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}

// firmLink returns the firm's name and the link to the partner's portal
// commissions page ("" without a base URL).
func firmLink(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, baseURL string) (string, string, error) {
	var name, slug string
	if err := tx.QueryRow(ctx, `SELECT name, slug FROM tenants WHERE id = $1`, tenantID).Scan(&name, &slug); err != nil {
		return "", "", apperr.Internal(err)
	}
	link := ""
	if baseURL != "" {
		link = strings.TrimRight(baseURL, "/") + "/p/" + slug + "/commissions"
	}
	return name, link, nil
}

// emailPaid tells the partner's portal users that a we_pay payout was
// paid. we_receive payouts (money received from the partner) send nothing.
func emailPaid(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, p Payout, outbox *notify.Outbox, baseURL string) error {
	if p.Direction != commission.WePay {
		return nil
	}
	firm, link, err := firmLink(ctx, tx, tenantID, baseURL)
	if err != nil {
		return err
	}
	amount := commission.FormatCents(p.AmountCents)
	if p.Currency != "USD" {
		amount += " " + p.Currency
	}
	ref, on := "", ""
	if p.Reference != nil {
		ref = *p.Reference
	}
	if p.PaidOn != nil {
		on = p.PaidOn.Format("2 January 2006")
	}
	subject := firm + " paid you " + amount
	lines := []string{
		firm + " paid you " + amount + " in commissions on " + on + ".",
		"Payment reference: " + ref,
		"It covers " + countWord(p.Entries, "commission", "commissions") + ".",
	}
	return sendAll(ctx, tx, tenantID, p.PartnerID, outbox, subject, lines, link, "See each commission in the partner portal:", firm)
}

// emailInvoices tells each partner of a we_receive batch what it owes us.
func emailInvoices(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, b Batch, outbox *notify.Outbox, baseURL string) error {
	firm, link, err := firmLink(ctx, tx, tenantID, baseURL)
	if err != nil {
		return err
	}
	ps, err := BatchPayouts(ctx, tx, tenantID, b.ID)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if p.Status != PayoutPending {
			continue
		}
		amount := commission.FormatCents(p.AmountCents)
		if p.Currency != "USD" {
			amount += " " + p.Currency
		}
		subject := "Invoice from " + firm + ": " + amount
		lines := []string{
			firm + " invoices you " + amount + " for the commissions due to it on the referrals it sent you, up to " +
				b.UpTo.Format("2 January 2006") + " (invoice #" + itoa(int64(b.Number)) + ", " +
				countWord(p.Entries, "commission", "commissions") + ").",
			"Please quote invoice #" + itoa(int64(b.Number)) + " with your payment.",
		}
		if err := sendAll(ctx, tx, tenantID, p.PartnerID, outbox, subject, lines, link, "See the details in the partner portal:", firm); err != nil {
			return err
		}
	}
	return nil
}

// sendAll emails one message (paragraphs, then a link) to the partner's
// portal users through the outbox, in tx.
func sendAll(ctx context.Context, tx pgx.Tx, tenantID, partnerID uuid.UUID, outbox *notify.Outbox, subject string, paras []string,
	link, linkIntro, firm string) error {
	rs, err := partnerRecipients(ctx, tx, tenantID, partnerID)
	if err != nil {
		return err
	}
	for _, r := range rs {
		greeting := "Hello,"
		if first := strings.Fields(r.name); len(first) > 0 {
			greeting = "Hello " + first[0] + ","
		}
		var t, h strings.Builder
		t.WriteString(greeting + "\n\n")
		h.WriteString("<p>" + html.EscapeString(greeting) + "</p>\n")
		for _, p := range paras {
			t.WriteString(p + "\n\n")
			h.WriteString("<p>" + html.EscapeString(p) + "</p>\n")
		}
		if link != "" {
			t.WriteString(linkIntro + "\n" + link + "\n\n")
			h.WriteString(`<p><a href="` + html.EscapeString(link) + `">` + html.EscapeString(strings.TrimSuffix(linkIntro, ":")) + "</a></p>\n")
		}
		t.WriteString("— " + firm + ", via Allyway\n")
		h.WriteString("<p>— " + html.EscapeString(firm) + ", via Allyway</p>\n")
		if _, err := outbox.Send(ctx, tx, notify.Email{To: r.email, Subject: strings.Join(strings.Fields(subject), " "),
			Text: t.String(), HTML: h.String()}); err != nil {
			return apperr.Internal(err)
		}
	}
	return nil
}

func countWord(n int, one, many string) string { return itoa(int64(n)) + " " + plural(n, one, many) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
