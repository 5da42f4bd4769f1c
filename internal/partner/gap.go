package partner

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
)

// Gap is one "a client asked for X and we don't do it".
type Gap struct {
	ID          uuid.UUID
	ServiceID   uuid.UUID
	ServiceName string
	ClientName  string
	NotedBy     *uuid.UUID
	NotedByName string
	NotedOn     time.Time // a date
	Note        string
	CreatedAt   time.Time
}

// GapInput is the gap-log form. Either ServiceID names a service on the map,
// or NewService (with NewPhase) names one to add to it.
type GapInput struct {
	ServiceID  string
	NewService string
	NewPhase   string
	ClientName string
	NotedBy    string // a staff member's user id
	NotedOn    string // YYYY-MM-DD
	Note       string
}

// dateLayout is how dates are written in forms.
const dateLayout = "2006-01-02"

// LogGap validates and records a gap; today is the firm's current date (a
// gap can't be noted in the future). A new service name that the map
// already has (in any case) uses that service.
func LogGap(ctx context.Context, q db.Querier, tenantID uuid.UUID, in GapInput, today time.Time) (Gap, *Service, error) {
	in.ServiceID = strings.TrimSpace(in.ServiceID)
	in.NewService = strings.Join(strings.Fields(in.NewService), " ")
	in.ClientName = strings.TrimSpace(in.ClientName)
	in.Note = strings.TrimSpace(in.Note)
	errs := map[string]string{}

	var sid uuid.UUID
	var created *Service
	switch {
	case in.ServiceID != "" && in.NewService != "":
		errs["service_id"] = "Choose a service from the map or name a new one, not both."
	case in.ServiceID != "":
		id, err := uuid.Parse(in.ServiceID)
		if err != nil {
			return Gap{}, nil, apperr.NotFound("Service")
		}
		if _, err := GetService(ctx, q, tenantID, id); err != nil {
			return Gap{}, nil, err // another firm's service is not found
		}
		sid = id
	case in.NewService != "":
		si := ServiceInput{Name: in.NewService, Phase: in.NewPhase}
		if err := si.Validate(); err != nil {
			for k, v := range apperr.FieldErrors(err) {
				errs[map[string]string{"name": "new_service", "phase": "new_phase"}[k]] = v
			}
			break
		}
		dup, err := serviceByName(ctx, q, tenantID, si.Name, uuid.Nil)
		if err != nil {
			return Gap{}, nil, err
		}
		if dup != nil {
			sid = dup.ID
		}
	default:
		errs["service_id"] = "Choose the service the client asked for, or name a new one."
	}

	var notedBy *uuid.UUID
	if s := strings.TrimSpace(in.NotedBy); s != "" {
		id, err := uuid.Parse(s)
		var staff bool
		if err == nil {
			err = q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM staff_memberships WHERE tenant_id = $1 AND user_id = $2)`,
				tenantID, id).Scan(&staff)
			if err != nil {
				return Gap{}, nil, err
			}
		}
		if !staff {
			errs["noted_by"] = "Choose someone on your firm's staff."
		} else {
			notedBy = &id
		}
	} else {
		errs["noted_by"] = "Choose who noted it."
	}

	on, err := time.Parse(dateLayout, strings.TrimSpace(in.NotedOn))
	y, m, d := today.Date()
	todayDate := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	switch {
	case strings.TrimSpace(in.NotedOn) == "":
		errs["noted_on"] = "Enter the date the client asked."
	case err != nil:
		errs["noted_on"] = "Enter a date like 2026-03-31."
	case on.After(todayDate):
		errs["noted_on"] = "The date can't be in the future."
	case on.Year() < 2000:
		errs["noted_on"] = "Enter a date from 2000 on."
	}
	if len([]rune(in.ClientName)) > 200 {
		errs["client_name"] = "Keep the client's name under 200 characters."
	}
	if len([]rune(in.Note)) > 2000 {
		errs["note"] = "Keep the note under 2,000 characters."
	}
	if len(errs) > 0 {
		return Gap{}, nil, apperr.Invalid(errs)
	}

	if sid == uuid.Nil {
		s, err := CreateService(ctx, q, tenantID, ServiceInput{Name: in.NewService, Phase: in.NewPhase})
		if err != nil {
			return Gap{}, nil, err
		}
		sid, created = s.ID, &s
	}
	g := Gap{ServiceID: sid, ClientName: in.ClientName, NotedBy: notedBy, NotedOn: on, Note: in.Note}
	err = q.QueryRow(ctx, `INSERT INTO service_gaps (tenant_id, service_id, client_name, noted_by, noted_on, note)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, created_at`, tenantID, sid, in.ClientName, notedBy, on, in.Note).
		Scan(&g.ID, &g.CreatedAt)
	return g, created, err
}

const gapCols = `g.id, g.service_id, s.name, g.client_name, g.noted_by, coalesce(u.name, ''), g.noted_on, g.note, g.created_at
	FROM service_gaps g
	JOIN services s ON s.tenant_id = g.tenant_id AND s.id = g.service_id
	LEFT JOIN users u ON u.id = g.noted_by `

func scanGap(row interface{ Scan(...any) error }) (Gap, error) {
	var g Gap
	err := row.Scan(&g.ID, &g.ServiceID, &g.ServiceName, &g.ClientName, &g.NotedBy, &g.NotedByName, &g.NotedOn, &g.Note, &g.CreatedAt)
	return g, err
}

// GetGap returns one gap of the firm; ENotFound for another firm's id.
func GetGap(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) (Gap, error) {
	g, err := scanGap(q.QueryRow(ctx, `SELECT `+gapCols+`WHERE g.tenant_id = $1 AND g.id = $2`, tenantID, id))
	if db.IsNoRows(err) {
		return Gap{}, apperr.NotFound("Gap")
	}
	return g, err
}

// DeleteGap removes a gap logged by mistake.
func DeleteGap(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) error {
	tag, err := q.Exec(ctx, `DELETE FROM service_gaps WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	if err == nil && tag.RowsAffected() == 0 {
		return apperr.NotFound("Gap")
	}
	return err
}

// ListGaps returns the firm's gaps, newest first; since (a date) limits them
// when not zero, limit when > 0.
func ListGaps(ctx context.Context, q db.Querier, tenantID uuid.UUID, since time.Time, limit int) ([]Gap, error) {
	if limit <= 0 {
		limit = 1_000_000
	}
	rows, err := q.Query(ctx, `SELECT `+gapCols+`WHERE g.tenant_id = $1 AND g.noted_on >= $2
		ORDER BY g.noted_on DESC, g.created_at DESC, g.id LIMIT $3`, tenantID, since, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Gap
	for rows.Next() {
		g, err := scanGap(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// GapRank is one service in the gap report.
type GapRank struct {
	ServiceID   uuid.UUID
	ServiceName string
	Count       int
	Last        time.Time // the most recent date it was asked for
	// Partners cover the service; none makes it a recruiting target.
	Partners []PartnerRef
}

// GapWindowStart is the first date counted by the report: 12 months before
// today's date.
func GapWindowStart(now time.Time) time.Time {
	y, m, d := now.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).AddDate(-1, 0, 0)
}

// RankGaps counts the gaps noted in the 12 months up to now (from
// GapWindowStart to today, inclusive) per service and ranks them: most
// asked-for first, then the most recently asked-for, then by name.
func RankGaps(gaps []Gap, now time.Time) []GapRank {
	start := GapWindowStart(now)
	end := start.AddDate(1, 0, 0)
	by := map[uuid.UUID]*GapRank{}
	for _, g := range gaps {
		y, m, d := g.NotedOn.Date()
		on := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		if on.Before(start) || on.After(end) {
			continue
		}
		r := by[g.ServiceID]
		if r == nil {
			r = &GapRank{ServiceID: g.ServiceID, ServiceName: g.ServiceName}
			by[g.ServiceID] = r
		}
		r.Count++
		if on.After(r.Last) {
			r.Last = on
		}
	}
	out := make([]GapRank, 0, len(by))
	for _, r := range by {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		if !a.Last.Equal(b.Last) {
			return a.Last.After(b.Last)
		}
		if la, lb := strings.ToLower(a.ServiceName), strings.ToLower(b.ServiceName); la != lb {
			return la < lb
		}
		return a.ServiceID.String() < b.ServiceID.String()
	})
	return out
}

// GapReport ranks the firm's gaps of the last 12 months with the partners
// who cover each service.
func GapReport(ctx context.Context, q db.Querier, tenantID uuid.UUID, now time.Time) ([]GapRank, error) {
	gaps, err := ListGaps(ctx, q, tenantID, GapWindowStart(now), 0)
	if err != nil {
		return nil, err
	}
	ranks := RankGaps(gaps, now)
	ids := make([]uuid.UUID, len(ranks))
	for i, r := range ranks {
		ids[i] = r.ServiceID
	}
	cover, err := coverage(ctx, q, tenantID, ids)
	if err != nil {
		return nil, err
	}
	for i := range ranks {
		ranks[i].Partners = cover[ranks[i].ServiceID]
	}
	return ranks, nil
}
