package review

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/period"
)

// A review's agenda is pre-filled from sections, each a Markdown heading
// and body, and then edited freely. The partner sees the agenda (portal,
// calendar file), so the sections say nothing the firm keeps to itself.

// Section is one part of a pre-filled agenda.
type Section struct {
	Key   string // "since_last", "scorecard", "referrals", "alerts", "agreement"
	Title string
	Body  string // Markdown
}

// AgendaRequest is what the sections are built for.
type AgendaRequest struct {
	TenantID    uuid.UUID
	PartnerID   uuid.UUID
	PartnerName string
	Quarter     period.Quarter
	Loc         *time.Location // the firm's zone (quarters start at its midnight)
	Today       time.Time      // a day
}

// SectionFunc builds one section; ok false leaves it out.
type SectionFunc func(ctx context.Context, q db.Querier, req AgendaRequest) (s Section, ok bool, err error)

// Scorecard builds the agenda's scorecard section (the partner's figures
// for the quarter). The scorecard step sets it from wiring code (server,
// setup) once at start-up, before any request; while nil, the agenda has
// no scorecard section.
var Scorecard SectionFunc

// Sections builds the agenda's sections in order: since the last review,
// the scorecard (when Scorecard is set), referrals this quarter, alerts,
// the agreement.
func Sections(ctx context.Context, q db.Querier, req AgendaRequest) ([]Section, error) {
	if req.Loc == nil {
		req.Loc = time.UTC
	}
	var out []Section
	for _, f := range []SectionFunc{sinceLastSection, Scorecard, referralsSection, alertsSection, agreementSection} {
		if f == nil {
			continue
		}
		s, ok, err := f(ctx, q, req)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, s)
		}
	}
	return out, nil
}

// AgendaMarkdown joins sections into the agenda text.
func AgendaMarkdown(sections []Section) string {
	var b strings.Builder
	for i, s := range sections {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString("## " + s.Title + "\n\n" + strings.TrimSpace(s.Body))
	}
	return b.String()
}

// BuildAgenda is AgendaMarkdown of Sections.
func BuildAgenda(ctx context.Context, q db.Querier, req AgendaRequest) (string, error) {
	ss, err := Sections(ctx, q, req)
	if err != nil {
		return "", err
	}
	return AgendaMarkdown(ss), nil
}

// DayLabel is "1 Dec 2026".
func DayLabel(d time.Time) string { return d.Format("2 Jan 2006") }

// sinceLastSection lists the open action items of earlier reviews.
func sinceLastSection(ctx context.Context, q db.Querier, req AgendaRequest) (Section, bool, error) {
	s := Section{Key: "since_last", Title: "Since last review"}
	var lastHeld *time.Time
	if err := q.QueryRow(ctx, `SELECT max(held_at) FROM partner_reviews WHERE tenant_id = $1 AND partner_id = $2 AND status = 'held'`,
		req.TenantID, req.PartnerID).Scan(&lastHeld); err != nil {
		return s, false, err
	}
	actions, err := OpenActions(ctx, q, req.TenantID, req.PartnerID)
	if err != nil {
		return s, false, err
	}
	var b strings.Builder
	if lastHeld != nil {
		b.WriteString("Last review held " + DayLabel(day(*lastHeld, req.Loc)) + ".\n\n")
	}
	if len(actions) == 0 {
		b.WriteString("No open action items.")
	}
	for _, a := range actions {
		b.WriteString("- [ ] " + a.Title + " — " + a.OwnerName)
		if a.DueOn != nil {
			b.WriteString(", due " + DayLabel(*a.DueOn))
			if a.Overdue(req.Today) {
				b.WriteString(" (overdue)")
			}
		}
		b.WriteString("\n")
	}
	s.Body = b.String()
	return s, true, nil
}

// referralsSection counts the quarter's referrals each way: submitted in
// the quarter, and won, lost or declined in it (in the firm's zone).
func referralsSection(ctx context.Context, q db.Querier, req AgendaRequest) (Section, bool, error) {
	s := Section{Key: "referrals", Title: "Referrals this quarter (" + req.Quarter.Label() + ")"}
	from, to := req.Quarter.Start(), req.Quarter.Next().Start()
	start := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, req.Loc)
	end := time.Date(to.Year(), to.Month(), 1, 0, 0, 0, 0, req.Loc)
	rows, err := q.Query(ctx, `SELECT direction,
			count(*) FILTER (WHERE submitted_at >= $3 AND submitted_at < $4),
			count(*) FILTER (WHERE status = 'won' AND closed_at >= $3 AND closed_at < $4),
			count(*) FILTER (WHERE status = 'lost' AND closed_at >= $3 AND closed_at < $4),
			count(*) FILTER (WHERE status = 'declined' AND closed_at >= $3 AND closed_at < $4)
		FROM referrals
		WHERE tenant_id = $1 AND partner_id = $2
		  AND ((submitted_at >= $3 AND submitted_at < $4) OR (closed_at >= $3 AND closed_at < $4))
		GROUP BY direction`, req.TenantID, req.PartnerID, start, end)
	if err != nil {
		return s, false, err
	}
	counts := map[string][4]int{}
	for rows.Next() {
		var dir string
		var c [4]int
		if err := rows.Scan(&dir, &c[0], &c[1], &c[2], &c[3]); err != nil {
			rows.Close()
			return s, false, err
		}
		counts[dir] = c
	}
	if err := rows.Err(); err != nil {
		return s, false, err
	}
	line := func(label string, c [4]int) string {
		l := fmt.Sprintf("- %s: %s, %d won, %d lost", label, plural(c[0], "new referral", "new referrals"), c[1], c[2])
		if c[3] > 0 {
			l += fmt.Sprintf(", %d declined", c[3])
		}
		return l + ".\n"
	}
	s.Body = line("Received from "+req.PartnerName, counts["inbound"]) + line("Sent to "+req.PartnerName, counts["outbound"])
	return s, true, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// alertsSection lists the partner's open alerts.
func alertsSection(ctx context.Context, q db.Querier, req AgendaRequest) (Section, bool, error) {
	s := Section{Key: "alerts", Title: "Alerts"}
	rows, err := q.Query(ctx, `SELECT message FROM alerts WHERE tenant_id = $1 AND partner_id = $2 AND resolved_at IS NULL
		ORDER BY created_at, id LIMIT 50`, req.TenantID, req.PartnerID)
	if err != nil {
		return s, false, err
	}
	var b strings.Builder
	for rows.Next() {
		var msg string
		if err := rows.Scan(&msg); err != nil {
			rows.Close()
			return s, false, err
		}
		b.WriteString("- " + oneLine(msg) + "\n")
	}
	if err := rows.Err(); err != nil {
		return s, false, err
	}
	if b.Len() == 0 {
		b.WriteString("No open alerts.")
	}
	s.Body = b.String()
	return s, true, nil
}

// agreementSection names the active version and its renewal date, and a
// new version waiting for the partner.
func agreementSection(ctx context.Context, q db.Querier, req AgendaRequest) (Section, bool, error) {
	s := Section{Key: "agreement", Title: "Agreement"}
	rows, err := q.Query(ctx, `SELECT status, version, title, effective_from, effective_to, auto_renew, renewal_months
		FROM agreements WHERE tenant_id = $1 AND partner_id = $2 AND status IN ('active', 'sent')
		ORDER BY status, version`, req.TenantID, req.PartnerID)
	if err != nil {
		return s, false, err
	}
	var b strings.Builder
	active := false
	for rows.Next() {
		var status, title string
		var version, renewMonths int
		var from time.Time
		var to *time.Time
		var autoRenew bool
		if err := rows.Scan(&status, &version, &title, &from, &to, &autoRenew, &renewMonths); err != nil {
			rows.Close()
			return s, false, err
		}
		name := "Version " + strconv.Itoa(version)
		if t := oneLine(title); t != "" {
			name += " (" + t + ")"
		}
		if status == "sent" {
			b.WriteString("- " + name + " is waiting for " + req.PartnerName + "'s answer.\n")
			continue
		}
		active = true
		b.WriteString("- " + name + ", in force since " + DayLabel(from) + ".\n")
		switch {
		case to == nil:
			b.WriteString("- Open-ended: no renewal date.\n")
		case autoRenew:
			b.WriteString("- Renewal: " + DayLabel(*to) + " (renews automatically for " + plural(renewMonths, "month", "months") + ").\n")
		default:
			b.WriteString("- Renewal: " + DayLabel(*to) + " (the term ends then unless renewed).\n")
		}
	}
	if err := rows.Err(); err != nil {
		return s, false, err
	}
	if !active {
		s.Body = "- No agreement in force.\n" + b.String()
	} else {
		s.Body = b.String()
	}
	return s, true, nil
}
