-- Partners: the directory, lifecycle history, profile and ideal-client fit,
-- contacts, the complementary service map and gap log, qualification
-- (weighted criteria, references, red flags, potential, decision), tiers and
-- the firm's settings for all of it. Conventions as in 00001.

-- +goose Up

-- Firm-wide settings (one row per firm): our ideal client profile and
-- positioning, and the recruiting goal.
CREATE TABLE tenant_settings (
    tenant_id        uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    positioning      text CHECK (positioning IN ('premium', 'mid_market', 'value')),
    icp_industries   text[] NOT NULL DEFAULT '{}',
    icp_client_sizes text[] NOT NULL DEFAULT '{}',
    icp_stages       text[] NOT NULL DEFAULT '{}',
    icp_regions      text[] NOT NULL DEFAULT '{}',
    recruit_goal_min integer NOT NULL DEFAULT 5 CHECK (recruit_goal_min >= 0),
    recruit_goal_max integer NOT NULL DEFAULT 10 CHECK (recruit_goal_max >= recruit_goal_min),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tiers (
    tenant_id            uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                   uuid NOT NULL DEFAULT gen_random_uuid(),
    name                 text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    rank                 integer NOT NULL CHECK (rank BETWEEN 1 AND 20),
    target_min           integer NOT NULL DEFAULT 0 CHECK (target_min >= 0),
    target_max           integer NOT NULL DEFAULT 0 CHECK (target_max >= target_min),
    checkin_cadence_days integer NOT NULL CHECK (checkin_cadence_days BETWEEN 1 AND 730),
    default_rate_bp      integer NOT NULL DEFAULT 0 CHECK (default_rate_bp BETWEEN 0 AND 10000),
    benefits             text NOT NULL DEFAULT '',
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, rank)
);
CREATE UNIQUE INDEX tiers_name_key ON tiers (tenant_id, lower(name));

ALTER TABLE partners
    ADD COLUMN website          text,
    ADD COLUMN positioning      text CHECK (positioning IN ('premium', 'mid_market', 'value')),
    ADD COLUMN focus            text CHECK (focus IN ('specialist', 'generalist')),
    ADD COLUMN industries       text[] NOT NULL DEFAULT '{}',
    ADD COLUMN client_sizes     text[] NOT NULL DEFAULT '{}',
    ADD COLUMN stages           text[] NOT NULL DEFAULT '{}',
    ADD COLUMN regions          text[] NOT NULL DEFAULT '{}',
    ADD COLUMN owner_user_id    uuid REFERENCES users (id) ON DELETE SET NULL,
    ADD COLUMN tier_id          uuid,
    ADD COLUMN notes            text NOT NULL DEFAULT '',
    -- Names of the services the partner covers, kept in step by the app
    -- when the service map changes, so search needs no join.
    ADD COLUMN services_text    text NOT NULL DEFAULT '',
    ADD COLUMN status_changed_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN search           tsvector,
    ADD FOREIGN KEY (tenant_id, tier_id) REFERENCES tiers (tenant_id, id) ON DELETE SET NULL (tier_id);

CREATE INDEX partners_search_idx ON partners USING gin (search);
CREATE INDEX partners_domain_idx ON partners (tenant_id, domain);
CREATE INDEX partners_status_idx ON partners (tenant_id, status);
CREATE INDEX partners_tier_idx ON partners (tenant_id, tier_id);
CREATE INDEX partners_name_idx ON partners (tenant_id, lower(name), id);
CREATE INDEX partners_industries_idx ON partners USING gin (industries);
CREATE INDEX partners_regions_idx ON partners USING gin (regions);

-- The search document: name and domain weigh most, then services and
-- industries, then notes. 'simple' keeps firm names and jargon unstemmed.
-- +goose StatementBegin
CREATE FUNCTION partners_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search :=
      setweight(to_tsvector('simple', coalesce(NEW.name, '') || ' ' || coalesce(NEW.domain, '')), 'A')
   || setweight(to_tsvector('simple', coalesce(NEW.services_text, '') || ' ' || array_to_string(NEW.industries, ' ')), 'B')
   || setweight(to_tsvector('simple', array_to_string(NEW.regions, ' ') || ' ' || coalesce(NEW.notes, '')), 'C');
  RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER partners_search BEFORE INSERT OR UPDATE ON partners
    FOR EACH ROW EXECUTE FUNCTION partners_search_update();
-- Fill the search document of existing partners. FORCE'd RLS would hide
-- every row from the owner here (no tenant is set), so lift it for this one
-- statement.
ALTER TABLE partners NO FORCE ROW LEVEL SECURITY;
UPDATE partners SET name = name;
ALTER TABLE partners FORCE ROW LEVEL SECURITY;

-- Who moved a partner through the lifecycle, when and why.
CREATE TABLE partner_status_history (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    partner_id    uuid NOT NULL,
    from_status   text,
    to_status     text NOT NULL,
    reason        text NOT NULL DEFAULT '',
    actor_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX partner_status_history_partner_idx ON partner_status_history (tenant_id, partner_id, at DESC);

CREATE TABLE partner_contacts (
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             uuid NOT NULL DEFAULT gen_random_uuid(),
    partner_id     uuid NOT NULL,
    name           text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    email          text NOT NULL DEFAULT '',
    phone          text NOT NULL DEFAULT '',
    title          text NOT NULL DEFAULT '',
    level          text NOT NULL DEFAULT 'other'
                   CHECK (level IN ('executive_sponsor', 'delivery', 'account_manager', 'other')),
    is_primary     boolean NOT NULL DEFAULT false,
    departed_at    timestamptz,
    departure_note text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX partner_contacts_partner_idx ON partner_contacts (tenant_id, partner_id);
-- At most one current primary contact per partner.
CREATE UNIQUE INDEX partner_contacts_primary_key ON partner_contacts (tenant_id, partner_id)
    WHERE is_primary AND departed_at IS NULL;

-- The complementary service map: our own services and what clients need
-- before, during and after working with us.
CREATE TABLE services (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    phase       text NOT NULL CHECK (phase IN ('ours', 'before', 'during', 'after')),
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX services_name_key ON services (tenant_id, lower(name));

CREATE TABLE partner_services (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    partner_id uuid NOT NULL,
    service_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, partner_id, service_id),
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX partner_services_service_idx ON partner_services (tenant_id, service_id);

-- "A client asked for X and we don't do it."
CREATE TABLE service_gaps (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    service_id   uuid NOT NULL,
    client_name  text NOT NULL DEFAULT '',
    noted_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    noted_on     date NOT NULL DEFAULT current_date,
    note         text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX service_gaps_noted_idx ON service_gaps (tenant_id, noted_on DESC);

-- Qualification: firm-configurable weighted criteria, 1–5 scores with notes,
-- references, red flags, potential and the decision.
CREATE TABLE qualification_criteria (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    name       text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    weight     integer NOT NULL CHECK (weight BETWEEN 0 AND 100),
    position   integer NOT NULL DEFAULT 0,
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX qualification_criteria_name_key ON qualification_criteria (tenant_id, lower(name));

CREATE TABLE partner_scores (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    partner_id   uuid NOT NULL,
    criterion_id uuid NOT NULL,
    score        smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
    note         text NOT NULL DEFAULT '',
    scored_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    scored_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, partner_id, criterion_id),
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, criterion_id) REFERENCES qualification_criteria (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE partner_references (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    partner_id   uuid NOT NULL,
    who          text NOT NULL CHECK (length(btrim(who)) BETWEEN 1 AND 200),
    relationship text NOT NULL DEFAULT '',
    sentiment    text NOT NULL CHECK (sentiment IN ('positive', 'neutral', 'negative')),
    notes        text NOT NULL DEFAULT '',
    created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX partner_references_partner_idx ON partner_references (tenant_id, partner_id);

CREATE TABLE partner_red_flags (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    partner_id uuid NOT NULL,
    flag       text NOT NULL CHECK (flag IN ('one_sided_interest', 'vague_commitments',
                                             'cant_say_what_they_refer', 'unrealistic_expectations')),
    note       text NOT NULL DEFAULT '',
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, partner_id, flag),
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE partner_assessments (
    tenant_id              uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    partner_id             uuid NOT NULL,
    expected_referrals_in  integer CHECK (expected_referrals_in BETWEEN 0 AND 10000),
    expected_referrals_out integer CHECK (expected_referrals_out BETWEEN 0 AND 10000),
    clients_who_benefit    integer CHECK (clients_who_benefit BETWEEN 0 AND 1000000),
    notes                  text NOT NULL DEFAULT '',
    decision               text CHECK (decision IN ('qualified', 'rejected')),
    decision_reason        text NOT NULL DEFAULT '',
    decided_by             uuid REFERENCES users (id) ON DELETE SET NULL,
    decided_at             timestamptz,
    updated_at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, partner_id),
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id) ON DELETE CASCADE
);

-- Row-level security ---------------------------------------------------------

-- +goose StatementBegin
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['tenant_settings', 'tiers', 'partner_status_history', 'partner_contacts',
      'services', 'partner_services', 'service_gaps', 'qualification_criteria', 'partner_scores',
      'partner_references', 'partner_red_flags', 'partner_assessments'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_rows ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
  END LOOP;
  -- What a partner-portal request may see is its own partner's rows.
  FOREACH t IN ARRAY ARRAY['partner_contacts', 'partner_services'] LOOP
    EXECUTE format('CREATE POLICY portal_partner ON %I AS RESTRICTIVE
      USING (app_partner_id() IS NULL OR partner_id = app_partner_id())
      WITH CHECK (app_partner_id() IS NULL OR partner_id = app_partner_id())', t);
  END LOOP;
  -- Our own evaluation of partners is never shown in the portal.
  FOREACH t IN ARRAY ARRAY['partner_status_history', 'service_gaps', 'qualification_criteria',
      'partner_scores', 'partner_references', 'partner_red_flags', 'partner_assessments'] LOOP
    EXECUTE format('CREATE POLICY no_portal ON %I AS RESTRICTIVE
      USING (app_partner_id() IS NULL) WITH CHECK (app_partner_id() IS NULL)', t);
  END LOOP;
END
$$;
-- +goose StatementEnd

GRANT SELECT, INSERT, UPDATE ON tenant_settings TO allyway_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON tiers, partner_contacts, services, partner_services,
    service_gaps, qualification_criteria, partner_scores, partner_references,
    partner_red_flags, partner_assessments TO allyway_app;
-- History is appended, never rewritten.
GRANT SELECT, INSERT ON partner_status_history TO allyway_app;
CREATE TRIGGER partner_status_history_append_only BEFORE UPDATE ON partner_status_history
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- +goose Down
DROP TABLE partner_assessments;
DROP TABLE partner_red_flags;
DROP TABLE partner_references;
DROP TABLE partner_scores;
DROP TABLE qualification_criteria;
DROP TABLE service_gaps;
DROP TABLE partner_services;
DROP TABLE services;
DROP TABLE partner_contacts;
DROP TABLE partner_status_history;
DROP TRIGGER partners_search ON partners;
DROP FUNCTION partners_search_update();
DROP INDEX partners_regions_idx;
DROP INDEX partners_industries_idx;
DROP INDEX partners_name_idx;
DROP INDEX partners_tier_idx;
DROP INDEX partners_status_idx;
DROP INDEX partners_domain_idx;
ALTER TABLE partners
    DROP COLUMN search,
    DROP COLUMN status_changed_at,
    DROP COLUMN services_text,
    DROP COLUMN notes,
    DROP COLUMN tier_id,
    DROP COLUMN owner_user_id,
    DROP COLUMN regions,
    DROP COLUMN stages,
    DROP COLUMN client_sizes,
    DROP COLUMN industries,
    DROP COLUMN focus,
    DROP COLUMN positioning,
    DROP COLUMN website;
DROP TABLE tiers;
DROP TABLE tenant_settings;
