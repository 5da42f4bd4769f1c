package schema_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/db"
	"github.com/allyway/allyway/internal/identity"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/schema"
	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

type pools struct {
	owner, app *pgxpool.Pool
}

func setup(t *testing.T) pools {
	t.Helper()
	tdb := testdb.New(t, schema.Migrator{AppPassword: testdb.AppPassword})
	ctx := context.Background()
	owner, err := pgxpool.New(ctx, tdb.OwnerURL)
	require.NoError(t, err)
	t.Cleanup(owner.Close)
	app, err := pgxpool.New(ctx, tdb.AppURL)
	require.NoError(t, err)
	t.Cleanup(app.Close)
	return pools{owner: owner, app: app}
}

// tenantTables lists, from the catalog, every table with a tenant_id column:
// the definition of "tenant-owned". No hand list to forget to update.
func tenantTables(t *testing.T, q db.Querier) []string {
	t.Helper()
	rows, err := q.Query(context.Background(), `SELECT c.relname FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1`)
	require.NoError(t, err)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.NotEmpty(t, names)
	return names
}

// TestCatalogTenantTables: every tenant-owned table has RLS enabled and
// forced, tenant_id leading its primary key, tenant_id in every foreign key to
// another tenant-owned table and in every unique constraint.
func TestCatalogTenantTables(t *testing.T) {
	t.Parallel()
	p := setup(t)
	ctx := context.Background()
	for _, table := range tenantTables(t, p.owner) {
		var rls, force bool
		require.NoError(t, p.owner.QueryRow(ctx, `SELECT relrowsecurity, relforcerowsecurity FROM pg_class
			WHERE oid = ('public.' || $1)::regclass`, table).Scan(&rls, &force))
		require.True(t, rls, "%s: row level security is not enabled", table)
		require.True(t, force, "%s: row level security is not forced", table)

		var pkFirst string
		require.NoError(t, p.owner.QueryRow(ctx, `SELECT a.attname FROM pg_constraint c
			JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
			WHERE c.conrelid = ('public.' || $1)::regclass AND c.contype = 'p'`, table).Scan(&pkFirst))
		require.Equal(t, "tenant_id", pkFirst, "%s: tenant_id must lead the primary key", table)

		var policies int
		require.NoError(t, p.owner.QueryRow(ctx, `SELECT count(*) FROM pg_policy
			WHERE polrelid = ('public.' || $1)::regclass AND polpermissive
			AND pg_get_expr(polqual, polrelid) LIKE '%app_tenant_id()%'`, table).Scan(&policies))
		require.Positive(t, policies, "%s: no permissive policy on app_tenant_id()", table)

		rows, err := p.owner.Query(ctx, `SELECT c.conname, c.contype::text,
				coalesce(ft.relname, ''),
				EXISTS (SELECT 1 FROM unnest(c.conkey) k JOIN pg_attribute a
					ON a.attrelid = c.conrelid AND a.attnum = k WHERE a.attname = 'tenant_id')
			FROM pg_constraint c LEFT JOIN pg_class ft ON ft.oid = c.confrelid
			WHERE c.conrelid = ('public.' || $1)::regclass AND c.contype IN ('f', 'u')`, table)
		require.NoError(t, err)
		// Read them all first: a failed assertion with the rows open would
		// hold the connection the next query waits for.
		type constraint struct {
			name, kind, ref string
			hasTenant       bool
		}
		cs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (constraint, error) {
			var c constraint
			return c, row.Scan(&c.name, &c.kind, &c.ref, &c.hasTenant)
		})
		require.NoError(t, err)
		for _, c := range cs {
			name, kind, ref, hasTenant := c.name, c.kind, c.ref, c.hasTenant
			if kind == "u" {
				require.True(t, hasTenant, "%s.%s: unique constraints must include tenant_id", table, name)
				continue
			}
			var refIsTenant bool
			require.NoError(t, p.owner.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_attribute
				WHERE attrelid = ('public.' || $1)::regclass AND attname = 'tenant_id' AND NOT attisdropped)`, ref).Scan(&refIsTenant))
			if refIsTenant {
				require.True(t, hasTenant, "%s.%s: a foreign key to tenant-owned %s must include tenant_id", table, name, ref)
			}
		}
	}
}

// TestAppRoleIsRestricted: the app role owns nothing and can't bypass RLS.
func TestAppRoleIsRestricted(t *testing.T) {
	t.Parallel()
	p := setup(t)
	ctx := context.Background()
	var user string
	var super, bypass bool
	require.NoError(t, p.app.QueryRow(ctx, `SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`).Scan(&user, &super, &bypass))
	require.Equal(t, db.AppRole, user)
	require.False(t, super)
	require.False(t, bypass)
	var owned int
	require.NoError(t, p.app.QueryRow(ctx, `SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = current_user`).Scan(&owned))
	require.Zero(t, owned, "the app role must own nothing")
	// The audit log is append-only for the app role.
	_, err := p.app.Exec(ctx, `UPDATE audit_log SET action = 'x'`)
	require.Error(t, err)
	_, err = p.app.Exec(ctx, `DELETE FROM audit_log`)
	require.Error(t, err)
}

// seedTwoFirms puts at least one row in every tenant-owned table for two firms.
func seedTwoFirms(t *testing.T, d *db.DB) (a, b uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	h := auth.NewHasher(1)
	hash, err := h.Hash(ctx, "correct horse battery staple")
	require.NoError(t, err)
	mk := func(slug string) uuid.UUID {
		id := uuid.New()
		require.NoError(t, d.In(ctx, db.Scope{TenantID: id}, func(tx pgx.Tx) error {
			if _, err := tenant.Create(ctx, tx, id, slug, "Firm "+slug); err != nil {
				return err
			}
			u, err := identity.CreateUser(ctx, tx, "owner@"+slug+".test", "Owner", hash)
			if err != nil {
				return err
			}
			if err := tenant.AddStaff(ctx, tx, id, u.ID, auth.RoleOwner); err != nil {
				return err
			}
			p, err := partner.Create(ctx, tx, id, partner.Input{Name: "Partner of " + slug})
			if err != nil {
				return err
			}
			pu, err := identity.CreateUser(ctx, tx, "partner@"+slug+".test", "Partner user", hash)
			if err != nil {
				return err
			}
			if err := tenant.AddPortal(ctx, tx, id, pu.ID, p.ID, auth.RolePartnerAdmin); err != nil {
				return err
			}
			if _, _, err := tenant.CreateInvitation(ctx, tx, id, tenant.NewInvitation{Email: "new@" + slug + ".test",
				Kind: "staff", Role: auth.RoleViewer, InvitedBy: u.ID}); err != nil {
				return err
			}
			tok, _, err := tenant.CreateToken(ctx, tx, id, "CRM", auth.RoleViewer, u.ID)
			if err != nil {
				return err
			}
			// 00016_sla_scan_marks: the firm's last SLA scan.
			if _, err := tx.Exec(ctx, `INSERT INTO sla_scan_marks (tenant_id, scanned_at) VALUES ($1, now())`, id); err != nil {
				return err
			}
			// 00014_api_rate_limits: the token's current window.
			if _, err := tx.Exec(ctx, `INSERT INTO api_rate_limits (tenant_id, token_id, window_start, requests)
				VALUES ($1, $2, now(), 1)`, id, tok.ID); err != nil {
				return err
			}
			if err := seedPartnerTables(ctx, tx, id, p.ID, u.ID); err != nil {
				return err
			}
			// 00012_webhooks: a subscription, an event and its delivery.
			if _, err := tx.Exec(ctx, `WITH s AS (INSERT INTO webhook_subscriptions (tenant_id, url, events, secret)
					VALUES ($1, 'https://crm.example/hook', '{referral.created}', 'whsec_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa') RETURNING id),
				e AS (INSERT INTO webhook_events (tenant_id, type, subject, data) VALUES ($1, 'webhook.test', 'test:seed', '{}') RETURNING id)
				INSERT INTO webhook_deliveries (tenant_id, subscription_id, event_id) SELECT $1, s.id, e.id FROM s, e`, id); err != nil {
				return err
			}
			// 00011_campaigns: a webinar with the partner, who does what, a lead.
			if _, err := tx.Exec(ctx, `WITH c AS (INSERT INTO campaigns (tenant_id, name, kind, starts_on)
					VALUES ($1, 'Joint webinar', 'webinar', '2026-12-01') RETURNING id),
				cp AS (INSERT INTO campaign_partners (tenant_id, campaign_id, partner_id) SELECT $1, c.id, $2 FROM c),
				r AS (INSERT INTO campaign_responsibilities (tenant_id, campaign_id, task) SELECT $1, c.id, 'logistics' FROM c)
				INSERT INTO campaign_leads (tenant_id, campaign_id, name) SELECT $1, c.id, 'Pat Attendee' FROM c`, id, p.ID); err != nil {
				return err
			}
			// 00013_imports: an upload kept between its preview and its confirmation.
			if _, err := tx.Exec(ctx, `INSERT INTO import_batches (tenant_id, kind, created_by, data) VALUES ($1, 'partners', $2, 'name')`, id, u.ID); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO api_idempotency (tenant_id, key, method, path, request_hash, status, body)
				VALUES ($1, 'seed-key', 'POST', '/api/v1/partners', '\x00', 201, '{}')`, id); err != nil {
				return err
			}
			return audit.Record(ctx, tx, id, "test.seeded", "tenant", id.String(), nil)
		}))
		return id
	}
	return mk("firm-a"), mk("firm-b")
}

// TestRLSNoTenantNoRows: as the app role, with no tenant set every
// tenant-owned table shows zero rows and refuses writes; with tenant A set it
// shows none of B's rows. Tables come from the catalog; a table the seed
// leaves empty fails the test, so a new table can't slip through unchecked.
func TestRLSNoTenantNoRows(t *testing.T) {
	t.Parallel()
	p := setup(t)
	ctx := context.Background()
	d := db.New(p.app)
	a, b := seedTwoFirms(t, d)
	for _, table := range tenantTables(t, p.owner) {
		ident := pgx.Identifier{table}.Sanitize()
		var total, ofB int
		require.NoError(t, p.owner.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE tenant_id = $1) FROM `+ident, b).Scan(&total, &ofB))
		require.Positive(t, ofB, "%s: the isolation seed wrote no row for firm B; extend seedTwoFirms for this table", table)

		for _, scope := range []db.Scope{{}, {UserID: uuid.New()}} {
			var n int
			require.NoError(t, d.In(ctx, scope, func(tx pgx.Tx) error {
				return tx.QueryRow(ctx, `SELECT count(*) FROM `+ident).Scan(&n)
			}))
			require.Zero(t, n, "%s: rows visible with no tenant set", table)
		}
		// An empty setting (what a finished SET LOCAL leaves behind) is unset too.
		var n int
		require.NoError(t, d.Global(ctx, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SET LOCAL app.tenant_id = ''`); err != nil {
				return err
			}
			return tx.QueryRow(ctx, `SELECT count(*) FROM `+ident).Scan(&n)
		}))
		require.Zero(t, n, "%s: rows visible with an empty tenant setting", table)

		var ofBasA, ofA int
		require.NoError(t, d.InTenant(ctx, a, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE tenant_id = $1), count(*) FILTER (WHERE tenant_id = $2) FROM `+ident, b, a).Scan(&ofBasA, &ofA)
		}))
		require.Zero(t, ofBasA, "%s: firm A sees firm B's rows", table)
		require.Positive(t, ofA, "%s: firm A doesn't see its own rows", table)
	}
	// Writes without a tenant fail, and writing another firm's tenant_id fails.
	err := d.Global(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO partners (tenant_id, name) VALUES ($1, 'x')`, a)
		return err
	})
	require.Error(t, err, "insert without a tenant set")
	err = d.InTenant(ctx, a, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO partners (tenant_id, name) VALUES ($1, 'x')`, b)
		return err
	})
	require.Error(t, err, "insert of firm B's row while scoped to firm A")
	err = d.InTenant(ctx, a, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE partners SET name = 'hijacked' WHERE tenant_id = $1`, b)
		if err == nil && tag.RowsAffected() != 0 {
			t.Fatalf("updated %d of firm B's partners from firm A", tag.RowsAffected())
		}
		return err
	})
	require.NoError(t, err)
}

// TestRLSPortalSeesOnlyItsPartner: a portal-scoped transaction sees one
// partner's rows in partner-scoped tables.
func TestRLSPortalSeesOnlyItsPartner(t *testing.T) {
	t.Parallel()
	p := setup(t)
	ctx := context.Background()
	d := db.New(p.app)
	a, _ := seedTwoFirms(t, d)
	var p1, p2 partner.Partner
	require.NoError(t, d.InTenant(ctx, a, func(tx pgx.Tx) (err error) {
		if p1, err = partner.Create(ctx, tx, a, partner.Input{Name: "One"}); err != nil {
			return err
		}
		p2, err = partner.Create(ctx, tx, a, partner.Input{Name: "Two"})
		return err
	}))
	require.NoError(t, d.InPortal(ctx, a, p1.ID, func(tx pgx.Tx) error {
		ps, err := partner.List(ctx, tx, a)
		require.NoError(t, err)
		require.Len(t, ps, 1)
		require.Equal(t, p1.ID, ps[0].ID)
		_, err = partner.Get(ctx, tx, a, p2.ID)
		require.Error(t, err)
		var tokens int
		require.NoError(t, tx.QueryRow(ctx, `SELECT count(*) FROM api_tokens`).Scan(&tokens))
		require.Zero(t, tokens, "portal requests never see API tokens")
		return nil
	}))
}

// seedPartnerTables writes one row into each table of the partners schema.
func seedPartnerTables(ctx context.Context, tx pgx.Tx, tenantID, partnerID, userID uuid.UUID) error {
	var tierID, serviceID, criterionID uuid.UUID
	steps := []struct {
		sql  string
		args []any
		out  *uuid.UUID
	}{
		{`INSERT INTO tenant_settings (tenant_id) VALUES ($1)`, []any{tenantID}, nil},
		{`INSERT INTO tiers (tenant_id, name, rank, checkin_cadence_days) VALUES ($1, 'Strategic', 1, 30) RETURNING id`, []any{tenantID}, &tierID},
		{`INSERT INTO services (tenant_id, name, phase) VALUES ($1, 'Tax advice', 'before') RETURNING id`, []any{tenantID}, &serviceID},
		{`INSERT INTO qualification_criteria (tenant_id, name, weight) VALUES ($1, 'Market fit', 100) RETURNING id`, []any{tenantID}, &criterionID},
		{`INSERT INTO partner_status_history (tenant_id, partner_id, to_status, actor_user_id) VALUES ($1, $2, 'prospect', $3)`, []any{tenantID, partnerID, userID}, nil},
		{`INSERT INTO partner_contacts (tenant_id, partner_id, name, level) VALUES ($1, $2, 'Sam Sponsor', 'executive_sponsor')`, []any{tenantID, partnerID}, nil},
		{`INSERT INTO partner_references (tenant_id, partner_id, who, sentiment) VALUES ($1, $2, 'A client', 'positive')`, []any{tenantID, partnerID}, nil},
		{`INSERT INTO partner_red_flags (tenant_id, partner_id, flag) VALUES ($1, $2, 'vague_commitments')`, []any{tenantID, partnerID}, nil},
		{`INSERT INTO partner_assessments (tenant_id, partner_id, expected_referrals_in) VALUES ($1, $2, 4)`, []any{tenantID, partnerID}, nil},
	}
	for _, st := range steps {
		if st.out != nil {
			if err := tx.QueryRow(ctx, st.sql, st.args...).Scan(st.out); err != nil {
				return fmt.Errorf("%s: %w", st.sql, err)
			}
			continue
		}
		if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
			return fmt.Errorf("%s: %w", st.sql, err)
		}
	}
	for _, st := range []struct {
		sql  string
		args []any
	}{
		{`UPDATE partners SET tier_id = $3 WHERE tenant_id = $1 AND id = $2`, []any{tenantID, partnerID, tierID}},
		{`INSERT INTO partner_services (tenant_id, partner_id, service_id) VALUES ($1, $2, $3)`, []any{tenantID, partnerID, serviceID}},
		{`INSERT INTO service_gaps (tenant_id, service_id, client_name) VALUES ($1, $2, 'Client Co')`, []any{tenantID, serviceID}},
		{`INSERT INTO partner_scores (tenant_id, partner_id, criterion_id, score) VALUES ($1, $2, $3, 4)`, []any{tenantID, partnerID, criterionID}},
	} {
		if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
			return fmt.Errorf("%s: %w", st.sql, err)
		}
	}
	if err := seedAgreementTables(ctx, tx, tenantID, partnerID, userID); err != nil {
		return err
	}
	return seedReferralTables(ctx, tx, tenantID, partnerID, userID)
}

// seedAgreementTables writes a row in every table of 00004_agreements.
func seedAgreementTables(ctx context.Context, tx pgx.Tx, tenantID, partnerID, userID uuid.UUID) error {
	var templateID, stepID, itemID uuid.UUID
	return execSteps(ctx, tx, []seedStep{
		{`INSERT INTO policy_overrides (tenant_id, rule_key, reason, set_by) VALUES ($1, 'law.no_exclusive', 'Counsel approved', $2)`, []any{tenantID, userID}, nil},
		{`INSERT INTO agreement_templates (tenant_id, name, model) VALUES ($1, 'Standard referral', 'referral') RETURNING id`, []any{tenantID}, &templateID},
		{`INSERT INTO agreements (tenant_id, partner_id, version, status, model, template_id, effective_from, accepted_at, accepted_via)
		  VALUES ($1, $2, 1, 'active', 'referral', $3, '2026-01-01', now(), 'recorded')`, []any{tenantID, partnerID, &templateID}, nil},
		{`INSERT INTO onboarding_steps (tenant_id, title) VALUES ($1, 'Kickoff call') RETURNING id`, []any{tenantID}, &stepID},
		{`INSERT INTO partner_onboarding (tenant_id, partner_id, step_id, title) VALUES ($1, $2, $3, 'Kickoff call')`, []any{tenantID, partnerID, &stepID}, nil},
		{`INSERT INTO enablement_items (tenant_id, kind, title) VALUES ($1, 'one_pager', 'Who we help') RETURNING id`, []any{tenantID}, &itemID},
		{`INSERT INTO enablement_files (tenant_id, item_id, filename, content_type, size_bytes, sha256, data)
		  VALUES ($1, $2, 'a.txt', 'text/plain', 1, '\x00', 'a')`, []any{tenantID, &itemID}, nil},
		{`INSERT INTO hot_profiles (tenant_id, month, title) VALUES ($1, '2026-11-01', 'CFOs planning a sale')`, []any{tenantID}, nil},
	})
}

// seedReferralTables writes a row in every table of 00005_referrals.
func seedReferralTables(ctx context.Context, tx pgx.Tx, tenantID, partnerID, userID uuid.UUID) error {
	var clientID, prospectID, referralID, engagementID uuid.UUID
	if err := execSteps(ctx, tx, []seedStep{
		{`INSERT INTO referral_questions (tenant_id, question) VALUES ($1, 'Has the client agreed to an introduction?')`, []any{tenantID}, nil},
		{`INSERT INTO clients (tenant_id, name, name_norm, domain) VALUES ($1, 'Acme Inc.', 'acme', 'acme.example') RETURNING id`, []any{tenantID}, &clientID},
		{`INSERT INTO referral_prospects (tenant_id, partner_id, contact_name, contact_email) VALUES ($1, $2, 'Pat Prospect', 'pat@acme.example') RETURNING id`, []any{tenantID, partnerID}, &prospectID},
		{`INSERT INTO referrals (tenant_id, direction, partner_id, prospect_id, client_id, client_company, client_domain, client_name_norm, submitted_by)
		  VALUES ($1, 'inbound', $2, $3, $4, 'Acme Inc.', 'acme.example', 'acme', $5) RETURNING id`, []any{tenantID, partnerID, &prospectID, &clientID, userID}, &referralID},
		{`INSERT INTO referral_assists (tenant_id, referral_id, partner_id) VALUES ($1, $2, $3)`, []any{tenantID, &referralID, partnerID}, nil},
		{`INSERT INTO referral_events (tenant_id, referral_id, partner_id, actor_kind, kind, to_status, visible_to_partner) VALUES ($1, $2, $3, 'partner', 'submitted', 'submitted', true)`, []any{tenantID, &referralID, partnerID}, nil},
		{`INSERT INTO sla_breaches (tenant_id, referral_id, clock, partner_id, due_at) VALUES ($1, $2, 'first_response', $3, now())`, []any{tenantID, &referralID, partnerID}, nil},
		{`INSERT INTO engagements (tenant_id, referral_id, partner_id, kind, name, value_cents, started_on) VALUES ($1, $2, $3, 'project', 'Audit', 5000000, '2026-02-01') RETURNING id`, []any{tenantID, &referralID, partnerID}, &engagementID},
	}); err != nil {
		return err
	}
	if err := seedLedgerTables(ctx, tx, tenantID, partnerID, referralID, engagementID); err != nil {
		return err
	}
	return seedReviewTables(ctx, tx, tenantID, partnerID, referralID, engagementID, userID)
}

// seedReviewTables writes a row in every table of 00008_reviews.
func seedReviewTables(ctx context.Context, tx pgx.Tx, tenantID, partnerID, referralID, engagementID, userID uuid.UUID) error {
	var reviewID uuid.UUID
	return execSteps(ctx, tx, []seedStep{
		{`INSERT INTO partner_reviews (tenant_id, partner_id, quarter, scheduled_at) VALUES ($1, $2, '2026-Q3', now()) RETURNING id`, []any{tenantID, partnerID}, &reviewID},
		{`INSERT INTO review_attendees (tenant_id, review_id, partner_id, side, name) VALUES ($1, $2, $3, 'firm', 'Morgan')`, []any{tenantID, &reviewID, partnerID}, nil},
		{`INSERT INTO review_actions (tenant_id, review_id, partner_id, title, owner_name) VALUES ($1, $2, $3, 'Send the case study', 'Morgan')`, []any{tenantID, &reviewID, partnerID}, nil},
		{`INSERT INTO client_surveys (tenant_id, engagement_id, referral_id, partner_id, email) VALUES ($1, $2, $3, $4, 'cfo@acme.example')`, []any{tenantID, engagementID, referralID, partnerID}, nil},
		{`INSERT INTO partner_surveys (tenant_id, partner_id, user_id, year, score) VALUES ($1, $2, $3, 2026, 9)`, []any{tenantID, partnerID, userID}, nil},
		{`INSERT INTO program_inputs (tenant_id, quarter, total_new_revenue_cents) VALUES ($1, '2026-Q3', 100000000)`, []any{tenantID}, nil},
		{`INSERT INTO alerts (tenant_id, kind, partner_id, key, message) VALUES ($1, 'silent_partner', $2, 'silent:seed', 'No referral for 90 days')`, []any{tenantID, partnerID}, nil},
		// 00009_rollups (the triggers have marked the partner already).
		{`INSERT INTO rollup_dirty (tenant_id, partner_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, []any{tenantID, partnerID}, nil},
		{`INSERT INTO partner_months (tenant_id, partner_id, month, received) VALUES ($1, $2, '2026-07-01', 1)`, []any{tenantID, partnerID}, nil},
		{`INSERT INTO partner_month_money (tenant_id, partner_id, month, currency, revenue_received_cents) VALUES ($1, $2, '2026-07-01', 'USD', 100)`, []any{tenantID, partnerID}, nil},
		{`INSERT INTO firm_months (tenant_id, month, received) VALUES ($1, '2026-07-01', 1)`, []any{tenantID}, nil},
		{`INSERT INTO firm_month_money (tenant_id, month, currency, revenue_received_cents) VALUES ($1, '2026-07-01', 'USD', 100)`, []any{tenantID}, nil},
	})
}

// seedLedgerTables writes a row in every table of 00006_ledger.
func seedLedgerTables(ctx context.Context, tx pgx.Tx, tenantID, partnerID, referralID, engagementID uuid.UUID) error {
	var eventID, entryID uuid.UUID
	if err := execSteps(ctx, tx, []seedStep{
		{`INSERT INTO revenue_events (tenant_id, engagement_id, referral_id, partner_id, amount_cents, currency, paid_on, source, external_ref)
		  VALUES ($1, $2, $3, $4, 2000000, 'USD', '2026-03-01', 'staff', 'INV-1') RETURNING id`, []any{tenantID, engagementID, referralID, partnerID}, &eventID},
		{`INSERT INTO journal_entries (tenant_id, kind, partner_id, referral_id, engagement_id, revenue_event_id, direction, amount_cents, currency, reason)
		  VALUES ($1, 'adjustment', $2, $3, $4, $5, 'we_pay', 400000, 'USD', 'Seed') RETURNING id`, []any{tenantID, partnerID, referralID, engagementID, &eventID}, &entryID},
		{`INSERT INTO journal_lines (tenant_id, entry_id, line_no, account, partner_id, amount_cents, currency)
		  VALUES ($1, $2, 1, 'partner_payable', $3, -400000, 'USD'), ($1, $2, 2, 'commission_expense', NULL, 400000, 'USD')`, []any{tenantID, &entryID, partnerID}, nil},
	}); err != nil {
		return err
	}
	return seedPayoutTables(ctx, tx, tenantID, partnerID, entryID)
}

// seedPayoutTables writes a row in every table of 00007_payouts.
func seedPayoutTables(ctx context.Context, tx pgx.Tx, tenantID, partnerID, entryID uuid.UUID) error {
	var batchID, payoutID, payEntryID uuid.UUID
	return execSteps(ctx, tx, []seedStep{
		{`INSERT INTO entry_reviews (tenant_id, entry_id, partner_id, status) VALUES ($1, $2, $3, 'approved')`, []any{tenantID, entryID, partnerID}, nil},
		{`INSERT INTO payout_batches (tenant_id, number, direction, currency, up_to, status, paid_on, reference, paid_at)
		  VALUES ($1, 1, 'we_pay', 'USD', '2026-06-30', 'paid', '2026-07-01', 'BANK-1', now()) RETURNING id`, []any{tenantID}, &batchID},
		{`INSERT INTO payouts (tenant_id, batch_id, batch_number, partner_id, direction, currency, amount_cents, status, paid_on, reference)
		  VALUES ($1, $2, 1, $3, 'we_pay', 'USD', 400000, 'paid', '2026-07-01', 'BANK-1') RETURNING id`, []any{tenantID, &batchID, partnerID}, &payoutID},
		{`INSERT INTO payout_items (tenant_id, entry_id, payout_id, partner_id, amount_cents) VALUES ($1, $2, $3, $4, 400000)`,
			[]any{tenantID, entryID, &payoutID, partnerID}, nil},
		{`INSERT INTO journal_entries (tenant_id, kind, partner_id, direction, amount_cents, currency, payout_id)
		  VALUES ($1, 'payout', $2, 'we_pay', -400000, 'USD', $3) RETURNING id`, []any{tenantID, partnerID, &payoutID}, &payEntryID},
		{`INSERT INTO journal_lines (tenant_id, entry_id, line_no, account, partner_id, amount_cents, currency)
		  VALUES ($1, $2, 1, 'partner_payable', $3, 400000, 'USD'), ($1, $2, 2, 'cash', NULL, -400000, 'USD')`, []any{tenantID, &payEntryID, partnerID}, nil},
		{`INSERT INTO statements (tenant_id, partner_id, period_start, period_end, figures)
		  VALUES ($1, $2, '2026-04-01', '2026-07-01', '{}')`, []any{tenantID, partnerID}, nil},
		{`INSERT INTO partner_tax_details (tenant_id, partner_id, legal_name, classification, country, tax_id_kind, tax_id)
		  VALUES ($1, $2, 'Seed LLC', 'llc', 'US', 'ein', '12-3456789')`, []any{tenantID, partnerID}, nil},
	})
}

type seedStep struct {
	sql  string
	args []any
	out  *uuid.UUID
}

// execSteps runs the steps in order; a step's out is filled before the next
// step reads it (args may hold the pointer).
func execSteps(ctx context.Context, tx pgx.Tx, steps []seedStep) error {
	for _, st := range steps {
		args := make([]any, len(st.args))
		for i, a := range st.args {
			if p, ok := a.(*uuid.UUID); ok {
				a = *p
			}
			args[i] = a
		}
		var err error
		if st.out != nil {
			err = tx.QueryRow(ctx, st.sql, args...).Scan(st.out)
		} else {
			_, err = tx.Exec(ctx, st.sql, args...)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", st.sql, err)
		}
	}
	return nil
}
