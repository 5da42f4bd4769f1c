package referral

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/mail"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/notify"
)

// Emails about referrals. Every one is queued with notify.Outbox.Send in the
// transaction of the change that causes it, so a rolled-back change emails
// nobody. Partners hear about their own referrals (acknowledgment, each
// status change with the note meant for them, notes, fit feedback, the
// attribution decision, outbound introductions); staff hear about new
// inbound referrals, partners' answers and SLA reminders and breaches.

// recipient is one person to email.
type recipient struct {
	ID          uuid.UUID // the user; Nil for a partner contact without a login
	Name, Email string
}

func (r recipient) address() string {
	return (&mail.Address{Name: oneLine(r.Name), Address: r.Email}).String()
}

// firm is the tenant's name and slug (for links).
type firm struct {
	Name, Slug string
}

func loadFirm(ctx context.Context, q db.Querier, tenantID uuid.UUID) (firm, error) {
	var f firm
	err := q.QueryRow(ctx, `SELECT name, slug FROM tenants WHERE id = $1`, tenantID).Scan(&f.Name, &f.Slug)
	return f, err
}

func (n Notifier) staffLink(f firm, id uuid.UUID) string {
	return strings.TrimRight(n.BaseURL, "/") + "/t/" + f.Slug + "/referrals/" + id.String()
}

func (n Notifier) portalLink(f firm, id uuid.UUID) string {
	return strings.TrimRight(n.BaseURL, "/") + "/p/" + f.Slug + "/referrals/" + id.String()
}

// partnerRecipients are the partner's portal users (not disabled); when it
// has none, its current primary contact with an email.
func partnerRecipients(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) ([]recipient, error) {
	rows, err := q.Query(ctx, `
		WITH cand AS (
			SELECT u.id, u.name, u.email, 1 AS rank FROM portal_memberships pm JOIN users u ON u.id = pm.user_id
				WHERE pm.tenant_id = $1 AND pm.partner_id = $2 AND u.disabled_at IS NULL
			UNION ALL
			SELECT NULL::uuid, name, email, 2 FROM partner_contacts
				WHERE tenant_id = $1 AND partner_id = $2 AND is_primary AND departed_at IS NULL AND email <> '')
		SELECT id, name, email FROM cand WHERE rank = (SELECT min(rank) FROM cand) ORDER BY email`, tenantID, partnerID)
	if err != nil {
		return nil, err
	}
	return collectRecipients(rows)
}

// staffRecipients are who inside the firm hears about a referral: its owner,
// else the partner's owner, else the firm's owners and admins.
func staffRecipients(ctx context.Context, q db.Querier, tenantID uuid.UUID, owner *uuid.UUID, partnerID uuid.UUID) ([]recipient, error) {
	rows, err := q.Query(ctx, `
		WITH cand AS (
			SELECT u.id, u.name, u.email, 1 AS rank FROM users u
				JOIN staff_memberships sm ON sm.user_id = u.id AND sm.tenant_id = $1
				WHERE u.id = $2 AND u.disabled_at IS NULL
			UNION ALL
			SELECT u.id, u.name, u.email, 2 FROM partners p JOIN users u ON u.id = p.owner_user_id
				JOIN staff_memberships sm ON sm.user_id = u.id AND sm.tenant_id = $1
				WHERE p.tenant_id = $1 AND p.id = $3 AND u.disabled_at IS NULL
			UNION ALL
			SELECT u.id, u.name, u.email, 3 FROM staff_memberships sm JOIN users u ON u.id = sm.user_id
				WHERE sm.tenant_id = $1 AND sm.role IN ('owner', 'admin') AND u.disabled_at IS NULL)
		SELECT id, name, email FROM cand WHERE rank = (SELECT min(rank) FROM cand) ORDER BY email`,
		tenantID, owner, partnerID)
	if err != nil {
		return nil, err
	}
	return collectRecipients(rows)
}

func collectRecipients(rows pgx.Rows) ([]recipient, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (recipient, error) {
		var r recipient
		var id *uuid.UUID
		err := row.Scan(&id, &r.Name, &r.Email)
		if id != nil {
			r.ID = *id
		}
		return r, err
	})
}

// message is an email's content before it is addressed.
type message struct {
	Subject string
	Paras   []string // plain text paragraphs
	Link    string
	Action  string // the link's words ("Open the referral")
}

// to addresses the message to one recipient, as text and HTML.
func (m message) to(r recipient, firmName string) notify.Email {
	greeting := "Hello,"
	if first := strings.Fields(r.Name); len(first) > 0 {
		greeting = "Hello " + first[0] + ","
	}
	var t, h strings.Builder
	t.WriteString(greeting + "\n\n")
	h.WriteString("<p>" + html.EscapeString(greeting) + "</p>\n")
	for _, p := range m.Paras {
		if strings.TrimSpace(p) == "" {
			continue
		}
		t.WriteString(p + "\n\n")
		h.WriteString("<p>" + strings.ReplaceAll(html.EscapeString(p), "\n", "<br>") + "</p>\n")
	}
	if m.Link != "" {
		t.WriteString(m.Action + ":\n" + m.Link + "\n\n")
		h.WriteString(`<p><a href="` + html.EscapeString(m.Link) + `">` + html.EscapeString(m.Action) + "</a></p>\n")
	}
	t.WriteString("— " + firmName + ", via Allyway\n")
	h.WriteString("<p>— " + html.EscapeString(firmName) + ", via Allyway</p>\n")
	return notify.Email{To: r.address(), Subject: oneLine(m.Subject), Text: t.String(), HTML: h.String()}
}

// send queues m to every recipient.
func (n Notifier) send(ctx context.Context, tx pgx.Tx, rs []recipient, f firm, m message) error {
	ms := make([]notify.Email, len(rs))
	for i, r := range rs {
		ms[i] = m.to(r, f.Name)
	}
	_, err := n.Outbox.SendMany(ctx, tx, ms)
	return err
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// quote indents a note so it reads as someone's words.
func quote(who, s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	return who + ":\n  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// ackMessage is the acknowledgment a partner gets for a referral it sent us.
func ackMessage(r Referral, s Settings, f firm, link string) message {
	paras := []string{
		fmt.Sprintf("Thank you for referring %s to %s. We received it as %s and we respond within %s.",
			r.ClientCompany, f.Name, r.Ref(), s.ResponsePromise()),
		"You can follow every step of it, from our first response to the outcome, in the partner portal; we will also email you when it moves.",
	}
	if r.ConflictStatus == "open" {
		paras = append(paras, "We are checking whether we have already been introduced to this client; we will let you know what we find.")
	}
	return message{
		Subject: fmt.Sprintf("Received %s for %s: we respond within %s", r.Ref(), r.ClientCompany, s.ResponsePromise()),
		Paras:   paras, Link: link, Action: "Follow the referral",
	}
}

// newInboundMessage tells staff a partner referred a client.
func newInboundMessage(r Referral, s Settings, link string) message {
	due := ""
	if r.FirstResponseDueAt != nil {
		due = " First response due " + r.FirstResponseDueAt.In(s.Location()).Format("Mon 2 Jan 15:04 MST") + "."
	}
	paras := []string{
		fmt.Sprintf("%s referred %s (%s).%s", r.PartnerName, r.ClientCompany, r.Ref(), due),
		quote("The client's challenge", r.Challenge),
	}
	if r.ConflictStatus == "open" {
		paras = append(paras, "Possible conflict: "+r.ConflictNote+" Decide the credit in the conflict queue.")
	}
	return message{Subject: fmt.Sprintf("New referral %s from %s: %s", r.Ref(), r.PartnerName, r.ClientCompany),
		Paras: paras, Link: link, Action: "Open the referral"}
}

// outboundMessage tells a partner we referred a client to it.
func outboundMessage(r Referral, s Settings, f firm, link string) message {
	due := ""
	if r.PartnerResponseDueAt != nil {
		due = " Please accept or decline by " + r.PartnerResponseDueAt.In(s.Location()).Format("Mon 2 Jan 15:04 MST") + "."
	}
	return message{
		Subject: fmt.Sprintf("We've referred %s to you (%s)", r.ClientCompany, r.Ref()),
		Paras: []string{
			fmt.Sprintf("%s has referred %s to %s.%s", f.Name, r.ClientCompany, r.PartnerName, due),
			quote("What the client needs", r.Challenge),
			quote("Context", r.Context),
			"Open the referral in the partner portal to accept it (you will then see the contact's details) or decline it with a reason.",
		},
		Link: link, Action: "Accept or decline",
	}
}

// statusMessage tells a partner its referral moved. extra holds the won
// details or the lost reason in words.
func statusMessage(r Referral, note string, extra []string, link string) message {
	var first string
	switch r.Status {
	case Acknowledged:
		first = fmt.Sprintf("We have picked up your referral of %s (%s) and will contact the client shortly.", r.ClientCompany, r.Ref())
	case Contacted:
		first = fmt.Sprintf("We have been in touch with %s (%s).", r.ClientCompany, r.Ref())
	case Meeting:
		first = fmt.Sprintf("We have met %s (%s).", r.ClientCompany, r.Ref())
	case Proposal:
		first = fmt.Sprintf("We have sent %s a proposal (%s).", r.ClientCompany, r.Ref())
	case Won:
		first = fmt.Sprintf("Good news: %s (%s) became a client. Thank you for the introduction.", r.ClientCompany, r.Ref())
	case Lost:
		first = fmt.Sprintf("%s (%s) did not go ahead with us.", r.ClientCompany, r.Ref())
	case Declined:
		first = fmt.Sprintf("We have decided not to take on %s (%s).", r.ClientCompany, r.Ref())
	}
	paras := append([]string{first}, extra...)
	paras = append(paras, quote("Our note", note))
	subject := fmt.Sprintf("%s %s: %s", r.Ref(), r.ClientCompany, StatusLabel(r.Status))
	return message{Subject: subject, Paras: paras, Link: link, Action: "See the referral's timeline"}
}

// closedWords explains a lost or declined referral's reason to the partner.
func closedWords(reason string) []string {
	return []string{"Why: " + ReasonLabel(reason) + ". " + ReasonExplanation(reason)}
}

// wonWords tells the partner the scope (when the firm shares it) and the
// commission it can expect under the agreement in force.
func wonWords(e Engagement, shareScope bool, expected string) []string {
	var out []string
	if shareScope {
		kind := "a project"
		if e.Kind == "retainer" {
			kind = "a retainer"
		}
		s := fmt.Sprintf("The engagement: %s, %s starting %s.", e.Name, kind, e.StartedOn.Format("2 January 2006"))
		if strings.TrimSpace(e.Scope) != "" {
			s += "\n" + strings.TrimSpace(e.Scope)
		}
		out = append(out, s)
	}
	if expected != "" {
		out = append(out, expected)
	}
	return out
}

// ExpectedCommission says in words what a partner can expect for an
// engagement of valueCents under an agreement's rules (we_pay rules only;
// "" when the agreement pays nothing in money). Percent rules show the rate,
// what it applies to and the amount on the engagement's value; a flat fee
// its amount.
func ExpectedCommission(rules []commission.Rule, valueCents int64) string {
	var parts []string
	for _, ru := range rules {
		if ru.Direction != commission.WePay {
			continue
		}
		switch ru.Kind {
		case commission.PercentFirstProject:
			amt := commission.ApplyRate(valueCents, ru.RateBP)
			amt = capMin(ru, amt)
			parts = append(parts, fmt.Sprintf("%s of client payments on the first project (about %s on this engagement's %s)",
				commission.FormatBP(ru.RateBP), commission.FormatCents(amt), commission.FormatCents(valueCents)))
		case commission.PercentOngoing:
			span := "for as long as the client stays with us"
			if ru.Months > 0 {
				span = fmt.Sprintf("for %d months", ru.Months)
			}
			parts = append(parts, fmt.Sprintf("%s of client payments %s (about %s on this engagement's %s)",
				commission.FormatBP(ru.RateBP), span, commission.FormatCents(capMin(ru, commission.ApplyRate(valueCents, ru.RateBP))),
				commission.FormatCents(valueCents)))
		case commission.FlatFee:
			parts = append(parts, "a referral fee of "+commission.FormatCents(ru.AmountCents))
		case commission.TieredVolume, commission.TieredConversion:
			parts = append(parts, "a percentage of client payments at your current tier's rate")
		case commission.CoDeliverySplit:
			parts = append(parts, fmt.Sprintf("your %s share of the work you deliver", commission.FormatBP(ru.PartnerShareBP)))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "Under your agreement you can expect " + strings.Join(parts, ", plus ") +
		". Commission is earned as the client pays; your statements show it as it accrues."
}

func capMin(ru commission.Rule, v int64) int64 {
	if ru.CapCents != nil && v > *ru.CapCents {
		v = *ru.CapCents
	}
	if ru.MinCents != nil && v < *ru.MinCents {
		v = *ru.MinCents
	}
	return v
}

// agreementRules loads the commission rules of an agreement version.
func agreementRules(ctx context.Context, q db.Querier, tenantID uuid.UUID, agreementID *uuid.UUID) ([]commission.Rule, error) {
	if agreementID == nil {
		return nil, nil
	}
	var raw []byte
	err := q.QueryRow(ctx, `SELECT rules FROM agreements WHERE tenant_id = $1 AND id = $2`, tenantID, *agreementID).Scan(&raw)
	if db.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rules []commission.Rule
	if err := json.Unmarshal(raw, &rules); err != nil {
		return nil, fmt.Errorf("referral: agreement %s rules: %w", *agreementID, err)
	}
	return rules, nil
}
