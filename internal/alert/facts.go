package alert

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/period"
)

// The facts the rules read, fetched per firm with one query per kind of
// fact. Each is a range scan of an index (a daily job, so raw data is
// fine, but never a scan of the firm's whole history where an index
// bounds it). Timestamps become the firm's calendar days (at UTC
// midnight, as period writes days) before the rules see them.

// Settings are what a scan needs from tenant_settings.
type Settings struct {
	Thresholds
	Location *time.Location
}

// GetSettings reads the firm's thresholds and time zone; a firm without a
// settings row has the defaults (UTC).
func GetSettings(ctx context.Context, q db.Querier, tenantID uuid.UUID) (Settings, error) {
	s := Settings{Thresholds: DefaultThresholds(), Location: time.UTC}
	var zone string
	err := q.QueryRow(ctx, `SELECT uneven_ratio_x10, uneven_min_referrals, silent_days, time_zone
		FROM tenant_settings WHERE tenant_id = $1`, tenantID).
		Scan(&s.UnevenRatioX10, &s.UnevenMinReferrals, &s.SilentDays, &zone)
	if db.IsNoRows(err) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("alert: settings: %w", err)
	}
	if loc, err := time.LoadLocation(zone); err == nil {
		s.Location = loc
	}
	return s, nil
}

// LoadFacts returns the facts of the firm's live partners (by name) for
// the window w, in the zone loc.
func LoadFacts(ctx context.Context, q db.Querier, tenantID uuid.UUID, s Settings, w Window, now time.Time) ([]PartnerFacts, error) {
	loc := s.Location
	at := func(day time.Time) time.Time { // the start of a firm day
		return time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
	}
	dayOf := func(t time.Time) time.Time { return period.Today(t, loc) }

	rows, err := q.Query(ctx, `SELECT id, name, status, status_changed_at FROM partners
		WHERE tenant_id = $1 AND status = ANY($2) ORDER BY lower(name), id`, tenantID, liveStatuses)
	if err != nil {
		return nil, fmt.Errorf("alert: partners: %w", err)
	}
	ps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PartnerFacts, error) {
		var p PartnerFacts
		err := r.Scan(&p.PartnerID, &p.Name, &p.Status, &p.StatusChangedAt)
		p.StatusChangedAt = dayOf(p.StatusChangedAt)
		return p, err
	})
	if err != nil || len(ps) == 0 {
		return nil, err
	}
	idx := make(map[uuid.UUID]*PartnerFacts, len(ps))
	var active []uuid.UUID
	for i := range ps {
		idx[ps[i].PartnerID] = &ps[i]
		if ps[i].Status == "active" {
			active = append(active, ps[i].PartnerID)
		}
	}
	each := func(what, sql string, scan func(pgx.Rows, *PartnerFacts) error, args ...any) error {
		rows, err := q.Query(ctx, sql, args...)
		if err != nil {
			return fmt.Errorf("alert: %s: %w", what, err)
		}
		defer rows.Close()
		for rows.Next() {
			var id uuid.UUID
			var p PartnerFacts
			if err := scan(rows, &p); err != nil {
				return fmt.Errorf("alert: %s: %w", what, err)
			}
			id = p.PartnerID
			if t := idx[id]; t != nil {
				merge(t, p)
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("alert: %s: %w", what, err)
		}
		return nil
	}

	// Flow both ways over the trailing 12 months (referrals_submitted_idx).
	if err := each("flow", `SELECT partner_id, count(*) FILTER (WHERE direction = 'outbound'),
			count(*) FILTER (WHERE direction = 'inbound')
		FROM referrals WHERE tenant_id = $1 AND submitted_at >= $2 GROUP BY partner_id`,
		func(r pgx.Rows, p *PartnerFacts) error { return r.Scan(&p.PartnerID, &p.Sent, &p.Received) },
		tenantID, at(w.YearFrom)); err != nil {
		return nil, err
	}

	// Conversion of its referrals to us, decided in the six quarters
	// (referrals_status_idx: won and lost ones submitted before the end).
	recentFrom, end := at(w.Recent[0].Start()), at(w.Recent[1].Next().Start())
	if err := each("conversion", `SELECT partner_id,
			count(*) FILTER (WHERE closed_at >= $3 AND status = 'won'), count(*) FILTER (WHERE closed_at >= $3),
			count(*) FILTER (WHERE closed_at < $3 AND status = 'won'), count(*) FILTER (WHERE closed_at < $3)
		FROM referrals
		WHERE tenant_id = $1 AND status IN ('won', 'lost') AND submitted_at < $4 AND direction = 'inbound'
			AND closed_at >= $2 AND closed_at < $4
		GROUP BY partner_id`,
		func(r pgx.Rows, p *PartnerFacts) error {
			return r.Scan(&p.PartnerID, &p.RecentWon, &p.RecentDecided, &p.PriorWon, &p.PriorDecided)
		}, tenantID, at(w.Prior[0].Start()), recentFrom, end); err != nil {
		return nil, err
	}

	// SLA breaches of clocks due in the window (sla_breaches_partner_idx).
	if err := each("sla", `SELECT partner_id, count(*) FILTER (WHERE clock <> 'partner_response'),
			count(*) FILTER (WHERE clock = 'partner_response')
		FROM sla_breaches WHERE tenant_id = $1 AND due_at >= $2 AND due_at < $3 GROUP BY partner_id`,
		func(r pgx.Rows, p *PartnerFacts) error { return r.Scan(&p.PartnerID, &p.OurBreaches, &p.TheirBreaches) },
		tenantID, at(w.SLAFrom), now); err != nil {
		return nil, err
	}

	// Activity of active partners. Moves in the pipeline since the silent
	// window began come from one range of referral_events_status_idx; for
	// a partner without any, its last move ever is looked up through its
	// own referrals (few, for a silent partner). The latest referral and
	// review are one index probe each.
	if len(active) > 0 {
		cutoff := at(w.Today.AddDate(0, 0, -s.SilentDays-1))
		if err := each("recent moves", `SELECT partner_id, max(at) FROM referral_events
			WHERE tenant_id = $1 AND kind = 'status' AND at >= $2 GROUP BY partner_id`,
			func(r pgx.Rows, p *PartnerFacts) error {
				var t time.Time
				err := r.Scan(&p.PartnerID, &t)
				p.LastActivity = &t
				return err
			}, tenantID, cutoff); err != nil {
			return nil, err
		}
		var quiet []uuid.UUID
		for _, id := range active {
			if idx[id].LastActivity == nil {
				quiet = append(quiet, id)
			}
		}
		if err := each("activity", `SELECT p.id, greatest(
				(SELECT max(r.submitted_at) FROM referrals r WHERE r.tenant_id = $1 AND r.partner_id = p.id),
				(SELECT max(v.held_at) FROM partner_reviews v WHERE v.tenant_id = $1 AND v.partner_id = p.id
					AND v.status = 'held'),
				CASE WHEN p.id = ANY($3) THEN (SELECT max(e.at) FROM referrals r JOIN referral_events e
					ON e.tenant_id = r.tenant_id AND e.referral_id = r.id AND e.kind = 'status'
					WHERE r.tenant_id = $1 AND r.partner_id = p.id) END)
			FROM partners p WHERE p.tenant_id = $1 AND p.id = ANY($2)`,
			func(r pgx.Rows, p *PartnerFacts) error {
				return r.Scan(&p.PartnerID, &p.LastActivity)
			}, tenantID, active, quiet); err != nil {
			return nil, err
		}
		for _, id := range active {
			if t := idx[id].LastActivity; t != nil {
				d := dayOf(*t)
				idx[id].LastActivity = &d
			}
		}
	}

	// Contacts (a handful per partner).
	if err := each("contacts", `SELECT partner_id, name, level, departed_at FROM partner_contacts
		WHERE tenant_id = $1 ORDER BY departed_at NULLS FIRST`,
		func(r pgx.Rows, p *PartnerFacts) error {
			var name, level string
			var departed *time.Time
			if err := r.Scan(&p.PartnerID, &name, &level, &departed); err != nil {
				return err
			}
			p.Contacts = 1
			if departed == nil {
				p.CurrentContacts = 1
				p.HasSponsor = level == "executive_sponsor"
				return nil
			}
			d := &Departure{Name: name, At: dayOf(*departed)}
			p.LastDeparted = d
			if level == "executive_sponsor" {
				p.SponsorDeparted = d
			}
			return nil
		}, tenantID); err != nil {
		return nil, err
	}

	// Active agreements ending soon (agreements_status_idx).
	if err := each("agreements", `SELECT partner_id, id, version, effective_to, auto_renew FROM agreements
		WHERE tenant_id = $1 AND status = 'active' AND effective_to IS NOT NULL AND effective_to <= $2`,
		func(r pgx.Rows, p *PartnerFacts) error {
			var a AgreementEnd
			err := r.Scan(&p.PartnerID, &a.ID, &a.Version, &a.EffectiveTo, &a.AutoRenew)
			p.Agreement = &a
			return err
		}, tenantID, w.Today.AddDate(0, 0, ExpiringWithinDays)); err != nil {
		return nil, err
	}
	return ps, nil
}

// merge adds a query's partial facts about a partner to what is known.
// Counts add up (a partner's contacts come one row each); the latest
// departure and activity win.
func merge(t *PartnerFacts, p PartnerFacts) {
	t.Sent += p.Sent
	t.Received += p.Received
	t.RecentWon += p.RecentWon
	t.RecentDecided += p.RecentDecided
	t.PriorWon += p.PriorWon
	t.PriorDecided += p.PriorDecided
	t.OurBreaches += p.OurBreaches
	t.TheirBreaches += p.TheirBreaches
	t.Contacts += p.Contacts
	t.CurrentContacts += p.CurrentContacts
	t.HasSponsor = t.HasSponsor || p.HasSponsor
	if p.LastActivity != nil && (t.LastActivity == nil || p.LastActivity.After(*t.LastActivity)) {
		t.LastActivity = p.LastActivity
	}
	if p.LastDeparted != nil && (t.LastDeparted == nil || !p.LastDeparted.At.Before(t.LastDeparted.At)) {
		t.LastDeparted = p.LastDeparted
	}
	if p.SponsorDeparted != nil && (t.SponsorDeparted == nil || !p.SponsorDeparted.At.Before(t.SponsorDeparted.At)) {
		t.SponsorDeparted = p.SponsorDeparted
	}
	if p.Agreement != nil {
		t.Agreement = p.Agreement
	}
}
