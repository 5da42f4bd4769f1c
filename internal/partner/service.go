package partner

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/db"
)

// Phases of the complementary service map: our own services, and what our
// clients need before, during and after working with us.
var Phases = []string{"ours", "before", "during", "after"}

// PhaseLabels are how people name the phases.
var PhaseLabels = map[string]string{
	"ours":   "Our services",
	"before": "Before us",
	"during": "During our work",
	"after":  "After us",
}

// Service is one service on the firm's map, with the partners who cover it.
type Service struct {
	ID          uuid.UUID
	TenantID    uuid.UUID
	Name        string
	Phase       string
	Description string
	CreatedAt   time.Time
	// Partners cover the service (ended partners don't count), by name.
	Partners []PartnerRef
}

// PartnerRef names a partner in lists of another thing.
type PartnerRef struct {
	ID     uuid.UUID
	Name   string
	Status string
}

// ServiceInput is what a person fills in to add or change a service.
type ServiceInput struct {
	Name        string
	Phase       string
	Description string
}

// Validate trims the input and checks it; EInvalid with per-field messages.
func (in *ServiceInput) Validate() error {
	in.Name = strings.Join(strings.Fields(in.Name), " ")
	in.Phase = strings.TrimSpace(in.Phase)
	in.Description = strings.TrimSpace(in.Description)
	errs := map[string]string{}
	if in.Name == "" {
		errs["name"] = "Enter the service's name."
	} else if len([]rune(in.Name)) > 200 {
		errs["name"] = "Keep the name under 200 characters."
	}
	if _, ok := PhaseLabels[in.Phase]; !ok {
		errs["phase"] = "Choose ours, before, during or after."
	}
	if len([]rune(in.Description)) > 2000 {
		errs["description"] = "Keep the description under 2,000 characters."
	}
	if len(errs) > 0 {
		return apperr.Invalid(errs)
	}
	return nil
}

func duplicateService(name string) error {
	return apperr.Invalid(map[string]string{"name": "Your map already has a service called “" + name + "”."})
}

// serviceByName finds a service by name, case-insensitively; nil when none.
func serviceByName(ctx context.Context, q db.Querier, tenantID uuid.UUID, name string, except uuid.UUID) (*Service, error) {
	var s Service
	err := q.QueryRow(ctx, `SELECT id, tenant_id, name, phase, description, created_at FROM services
		WHERE tenant_id = $1 AND lower(name) = lower($2) AND id <> $3`, tenantID, name, except).
		Scan(&s.ID, &s.TenantID, &s.Name, &s.Phase, &s.Description, &s.CreatedAt)
	if db.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// CreateService adds a service to the map; a name the firm already uses is a
// field error.
func CreateService(ctx context.Context, q db.Querier, tenantID uuid.UUID, in ServiceInput) (Service, error) {
	if err := in.Validate(); err != nil {
		return Service{}, err
	}
	if dup, err := serviceByName(ctx, q, tenantID, in.Name, uuid.Nil); err != nil {
		return Service{}, err
	} else if dup != nil {
		return Service{}, duplicateService(dup.Name)
	}
	s := Service{TenantID: tenantID, Name: in.Name, Phase: in.Phase, Description: in.Description}
	err := q.QueryRow(ctx, `INSERT INTO services (tenant_id, name, phase, description) VALUES ($1, $2, $3, $4)
		RETURNING id, created_at`, tenantID, in.Name, in.Phase, in.Description).Scan(&s.ID, &s.CreatedAt)
	if db.IsUniqueViolation(err, "services_name_key") {
		return Service{}, duplicateService(in.Name)
	}
	return s, err
}

// GetService returns one of the firm's services with its partners;
// ENotFound for another firm's id.
func GetService(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) (Service, error) {
	var s Service
	err := q.QueryRow(ctx, `SELECT id, tenant_id, name, phase, description, created_at FROM services
		WHERE tenant_id = $1 AND id = $2`, tenantID, id).
		Scan(&s.ID, &s.TenantID, &s.Name, &s.Phase, &s.Description, &s.CreatedAt)
	if db.IsNoRows(err) {
		return Service{}, apperr.NotFound("Service")
	}
	if err != nil {
		return Service{}, err
	}
	cover, err := coverage(ctx, q, tenantID, []uuid.UUID{id})
	s.Partners = cover[id]
	return s, err
}

// ListServices returns the firm's services by phase and name, each with the
// partners who cover it.
func ListServices(ctx context.Context, q db.Querier, tenantID uuid.UUID) ([]Service, error) {
	rows, err := q.Query(ctx, `SELECT id, tenant_id, name, phase, description, created_at FROM services
		WHERE tenant_id = $1
		ORDER BY array_position(ARRAY['ours','before','during','after'], phase), lower(name), id`, tenantID)
	if err != nil {
		return nil, err
	}
	var out []Service
	for rows.Next() {
		var s Service
		if err := rows.Scan(&s.ID, &s.TenantID, &s.Name, &s.Phase, &s.Description, &s.CreatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	ids := make([]uuid.UUID, len(out))
	for i, s := range out {
		ids[i] = s.ID
	}
	cover, err := coverage(ctx, q, tenantID, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Partners = cover[out[i].ID]
	}
	return out, nil
}

// coverage returns, per service id, the partners (not ended) covering it.
func coverage(ctx context.Context, q db.Querier, tenantID uuid.UUID, serviceIDs []uuid.UUID) (map[uuid.UUID][]PartnerRef, error) {
	out := map[uuid.UUID][]PartnerRef{}
	if len(serviceIDs) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, `SELECT ps.service_id, p.id, p.name, p.status
		FROM partner_services ps JOIN partners p ON p.tenant_id = ps.tenant_id AND p.id = ps.partner_id
		WHERE ps.tenant_id = $1 AND ps.service_id = ANY($2) AND p.status <> 'ended'
		ORDER BY lower(p.name), p.id`, tenantID, serviceIDs)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var sid uuid.UUID
		var p PartnerRef
		if err := rows.Scan(&sid, &p.ID, &p.Name, &p.Status); err != nil {
			return nil, err
		}
		out[sid] = append(out[sid], p)
	}
	return out, rows.Err()
}

// UpdateService changes a service; a rename refreshes the services_text of
// the partners who cover it.
func UpdateService(ctx context.Context, q db.Querier, tenantID, id uuid.UUID, in ServiceInput) (Service, error) {
	if err := in.Validate(); err != nil {
		return Service{}, err
	}
	if dup, err := serviceByName(ctx, q, tenantID, in.Name, id); err != nil {
		return Service{}, err
	} else if dup != nil {
		return Service{}, duplicateService(dup.Name)
	}
	tag, err := q.Exec(ctx, `UPDATE services SET name = $3, phase = $4, description = $5
		WHERE tenant_id = $1 AND id = $2`, tenantID, id, in.Name, in.Phase, in.Description)
	if db.IsUniqueViolation(err, "services_name_key") {
		return Service{}, duplicateService(in.Name)
	}
	if err != nil {
		return Service{}, err
	}
	if tag.RowsAffected() == 0 {
		return Service{}, apperr.NotFound("Service")
	}
	if _, err := q.Exec(ctx, `UPDATE partners p SET services_text = `+servicesTextExpr+`
		WHERE p.tenant_id = $1 AND p.id IN (SELECT partner_id FROM partner_services WHERE tenant_id = $1 AND service_id = $2)`,
		tenantID, id); err != nil {
		return Service{}, err
	}
	return GetService(ctx, q, tenantID, id)
}

// DeleteService removes a service from the map, with the gaps logged against
// it and who covered it, and refreshes those partners' services_text.
func DeleteService(ctx context.Context, q db.Querier, tenantID, id uuid.UUID) error {
	rows, err := q.Query(ctx, `SELECT partner_id FROM partner_services WHERE tenant_id = $1 AND service_id = $2`, tenantID, id)
	if err != nil {
		return err
	}
	var partners []uuid.UUID
	for rows.Next() {
		var pid uuid.UUID
		if err := rows.Scan(&pid); err != nil {
			rows.Close()
			return err
		}
		partners = append(partners, pid)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	tag, err := q.Exec(ctx, `DELETE FROM services WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return apperr.NotFound("Service")
	}
	return refreshServicesText(ctx, q, tenantID, partners)
}

// CountGapsFor returns how many gaps are logged against a service.
func CountGapsFor(ctx context.Context, q db.Querier, tenantID, serviceID uuid.UUID) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT count(*) FROM service_gaps WHERE tenant_id = $1 AND service_id = $2`, tenantID, serviceID).Scan(&n)
	return n, err
}

// servicesTextExpr is the space-joined names of the services partner p
// covers, in name order.
const servicesTextExpr = `coalesce((SELECT string_agg(s.name, ' ' ORDER BY lower(s.name))
		FROM partner_services ps JOIN services s ON s.tenant_id = ps.tenant_id AND s.id = ps.service_id
		WHERE ps.tenant_id = p.tenant_id AND ps.partner_id = p.id), '')`

// refreshServicesText recomputes partners.services_text (which feeds the
// directory's search document) for the given partners.
func refreshServicesText(ctx context.Context, q db.Querier, tenantID uuid.UUID, partnerIDs []uuid.UUID) error {
	if len(partnerIDs) == 0 {
		return nil
	}
	_, err := q.Exec(ctx, `UPDATE partners p SET services_text = `+servicesTextExpr+`
		WHERE p.tenant_id = $1 AND p.id = ANY($2)`, tenantID, partnerIDs)
	return err
}

// PartnerServiceIDs returns the ids of the services a partner covers.
func PartnerServiceIDs(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) ([]uuid.UUID, error) {
	rows, err := q.Query(ctx, `SELECT service_id FROM partner_services WHERE tenant_id = $1 AND partner_id = $2`, tenantID, partnerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// SetPartnerServices replaces the set of services a partner covers and keeps
// its services_text in step. A service id that is not the firm's is
// ENotFound. It returns the names of the services before and after.
func SetPartnerServices(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID, serviceIDs []uuid.UUID) (before, after []string, err error) {
	ids := uniqueIDs(serviceIDs)
	var known int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM services WHERE tenant_id = $1 AND id = ANY($2)`, tenantID, ids).Scan(&known); err != nil {
		return nil, nil, err
	}
	if known != len(ids) {
		return nil, nil, apperr.NotFound("Service")
	}
	if before, err = partnerServiceNames(ctx, q, tenantID, partnerID); err != nil {
		return nil, nil, err
	}
	if _, err := q.Exec(ctx, `DELETE FROM partner_services WHERE tenant_id = $1 AND partner_id = $2 AND NOT (service_id = ANY($3))`,
		tenantID, partnerID, ids); err != nil {
		return nil, nil, err
	}
	if _, err := q.Exec(ctx, `INSERT INTO partner_services (tenant_id, partner_id, service_id)
		SELECT $1, $2, unnest($3::uuid[]) ON CONFLICT DO NOTHING`, tenantID, partnerID, ids); err != nil {
		return nil, nil, err
	}
	if err := refreshServicesText(ctx, q, tenantID, []uuid.UUID{partnerID}); err != nil {
		return nil, nil, err
	}
	after, err = partnerServiceNames(ctx, q, tenantID, partnerID)
	return before, after, err
}

func partnerServiceNames(ctx context.Context, q db.Querier, tenantID, partnerID uuid.UUID) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT s.name FROM partner_services ps
		JOIN services s ON s.tenant_id = ps.tenant_id AND s.id = ps.service_id
		WHERE ps.tenant_id = $1 AND ps.partner_id = $2 ORDER BY lower(s.name)`, tenantID, partnerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

func uniqueIDs(ids []uuid.UUID) []uuid.UUID {
	seen := map[uuid.UUID]bool{}
	out := []uuid.UUID{}
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
