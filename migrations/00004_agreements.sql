-- Agreements (versioned, accepted in the portal), agreement templates, the
-- firm's profession policy pack and its overrides, onboarding checklists and
-- the enablement library with the monthly hot opportunity profile.
-- Conventions as in 00001.

-- +goose Up

-- The firm's profession picks its policy pack (internal/agreement/policy.go).
ALTER TABLE tenant_settings
    ADD COLUMN profession text NOT NULL DEFAULT 'other'
        CHECK (profession IN ('law', 'accounting', 'consulting', 'marketing_agency', 'other'));

-- A policy rule the firm's counsel switched off, with why.
CREATE TABLE policy_overrides (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    rule_key   text NOT NULL CHECK (length(rule_key) BETWEEN 1 AND 100),
    reason     text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 2000),
    set_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    set_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, rule_key)
);

-- A firm's standard terms per partnership model and (optionally) tier.
-- terms and rules have the same shape as on agreements.
CREATE TABLE agreement_templates (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    name             text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    model            text NOT NULL CHECK (model IN ('referral', 'delivery', 'alliance', 'technology', 'channel')),
    tier_id          uuid,
    payment_trigger  text NOT NULL DEFAULT 'client_payment'
                     CHECK (payment_trigger IN ('client_payment', 'project_start', 'completion', 'monthly')),
    payment_net_days integer NOT NULL DEFAULT 30 CHECK (payment_net_days BETWEEN 0 AND 365),
    term_months      integer CHECK (term_months BETWEEN 1 AND 120),
    terms            jsonb NOT NULL DEFAULT '{}'::jsonb,
    rules            jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(rules) = 'array'),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, tier_id) REFERENCES tiers (tenant_id, id) ON DELETE SET NULL (tier_id)
);
CREATE UNIQUE INDEX agreement_templates_name_key ON agreement_templates (tenant_id, lower(name));

-- One row per version of a partner's agreement. A partner's versions are
-- numbered 1, 2, …; at most one is active. A superseded version keeps the
-- dates it was in force, so "the version in force on a date" is a lookup.
--   draft → sent → active (accepted in the portal, or recorded as signed
--   elsewhere) → superseded | expired | terminated; sent → declined.
CREATE TABLE agreements (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    partner_id       uuid NOT NULL,
    version          integer NOT NULL CHECK (version >= 1),
    status           text NOT NULL DEFAULT 'draft'
                     CHECK (status IN ('draft', 'sent', 'active', 'declined', 'superseded', 'expired', 'terminated')),
    model            text NOT NULL CHECK (model IN ('referral', 'delivery', 'alliance', 'technology', 'channel')),
    title            text NOT NULL DEFAULT '' CHECK (length(title) <= 200),
    template_id      uuid,
    effective_from   date NOT NULL,
    -- The last day in force: the end of the term, or the day before the next
    -- version took over, or the day it was terminated. NULL: open-ended.
    effective_to     date CHECK (effective_to IS NULL OR effective_to >= effective_from),
    auto_renew       boolean NOT NULL DEFAULT false,
    renewal_months   integer NOT NULL DEFAULT 12 CHECK (renewal_months BETWEEN 1 AND 120),
    termination_notice_days integer NOT NULL DEFAULT 30 CHECK (termination_notice_days BETWEEN 0 AND 365),
    payment_trigger  text NOT NULL DEFAULT 'client_payment'
                     CHECK (payment_trigger IN ('client_payment', 'project_start', 'completion', 'monthly')),
    payment_net_days integer NOT NULL DEFAULT 30 CHECK (payment_net_days BETWEEN 0 AND 365),
    -- Exclusivity and territories are columns so scope conflicts are a query.
    exclusivity      text NOT NULL DEFAULT 'none'
                     CHECK (exclusivity IN ('none', 'service_category', 'geography', 'industry')),
    exclusivity_scope text[] NOT NULL DEFAULT '{}',
    territories      text[] NOT NULL DEFAULT '{}',
    -- Everything else a written agreement says (scope, involvement,
    -- governance, confidentiality, data protection, dispute resolution, the
    -- profession's disclosures); shape in internal/agreement/terms.go.
    terms            jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- Commission rules as in API.md "Agreement rules".
    rules            jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(rules) = 'array'),
    -- Why this version exists (shown in the history).
    change_note      text NOT NULL DEFAULT '',
    created_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    sent_by          uuid REFERENCES users (id) ON DELETE SET NULL,
    accepted_at      timestamptz,
    accepted_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    accepted_name    text,
    accepted_ip      text,
    -- 'portal' when the partner accepted online, 'recorded' when staff
    -- recorded an agreement signed elsewhere.
    accepted_via     text CHECK (accepted_via IN ('portal', 'recorded')),
    declined_at      timestamptz,
    declined_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    declined_reason  text,
    ended_at         timestamptz,
    ended_reason     text,
    renewal_reminded_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, partner_id, version),
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, template_id) REFERENCES agreement_templates (tenant_id, id) ON DELETE SET NULL (template_id),
    CHECK ((status = 'active') <= (accepted_at IS NOT NULL)),
    CHECK ((status = 'declined') = (declined_at IS NOT NULL))
);
-- One active version per partner at a time.
CREATE UNIQUE INDEX agreements_one_active ON agreements (tenant_id, partner_id) WHERE status = 'active';
-- At most one version being drafted or waiting for the partner.
CREATE UNIQUE INDEX agreements_one_pending ON agreements (tenant_id, partner_id) WHERE status IN ('draft', 'sent');
CREATE INDEX agreements_status_idx ON agreements (tenant_id, status, effective_to);
CREATE INDEX agreements_partner_idx ON agreements (tenant_id, partner_id, effective_from DESC);

-- Onboarding: the firm's checklist template and each partner's copy.
CREATE TABLE onboarding_steps (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    title       text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '',
    position    integer NOT NULL DEFAULT 0,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE partner_onboarding (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    partner_id  uuid NOT NULL,
    step_id     uuid,
    title       text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '',
    position    integer NOT NULL DEFAULT 0,
    due_on      date,
    done_at     timestamptz,
    done_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    note        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, step_id) REFERENCES onboarding_steps (tenant_id, id) ON DELETE SET NULL (step_id)
);
CREATE INDEX partner_onboarding_partner_idx ON partner_onboarding (tenant_id, partner_id, position);
CREATE UNIQUE INDEX partner_onboarding_step_key ON partner_onboarding (tenant_id, partner_id, step_id);

-- Enablement library. tier_ids empty = every tier (and partners without one).
CREATE TABLE enablement_items (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    kind        text NOT NULL CHECK (kind IN ('one_pager', 'case_study', 'email_template', 'training',
                    'faq', 'checklist', 'pitch', 'other')),
    title       text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    summary     text NOT NULL DEFAULT '' CHECK (length(summary) <= 500),
    body_md     text NOT NULL DEFAULT '' CHECK (length(body_md) <= 100000),
    link_url    text NOT NULL DEFAULT '',
    tier_ids    uuid[] NOT NULL DEFAULT '{}',
    published   boolean NOT NULL DEFAULT true,
    created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX enablement_items_kind_idx ON enablement_items (tenant_id, kind, lower(title));

CREATE TABLE enablement_files (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    item_id      uuid NOT NULL,
    filename     text NOT NULL CHECK (length(btrim(filename)) BETWEEN 1 AND 255),
    content_type text NOT NULL,
    size_bytes   integer NOT NULL CHECK (size_bytes BETWEEN 1 AND 5242880),
    sha256       bytea NOT NULL,
    data         bytea NOT NULL,
    created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES enablement_items (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX enablement_files_item_idx ON enablement_files (tenant_id, item_id);

-- "The referral we'd love to receive right now", one per month.
CREATE TABLE hot_profiles (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    month      date NOT NULL CHECK (extract(day FROM month) = 1),
    title      text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    body_md    text NOT NULL DEFAULT '' CHECK (length(body_md) <= 20000),
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    emailed_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, month)
);

-- +goose StatementBegin
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['policy_overrides', 'agreement_templates', 'agreements', 'onboarding_steps',
      'partner_onboarding', 'enablement_items', 'enablement_files', 'hot_profiles'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_rows ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
  END LOOP;
  FOREACH t IN ARRAY ARRAY['agreements', 'partner_onboarding'] LOOP
    EXECUTE format('CREATE POLICY portal_partner ON %I AS RESTRICTIVE
      USING (app_partner_id() IS NULL OR partner_id = app_partner_id())
      WITH CHECK (app_partner_id() IS NULL OR partner_id = app_partner_id())', t);
  END LOOP;
  FOREACH t IN ARRAY ARRAY['policy_overrides', 'agreement_templates', 'onboarding_steps'] LOOP
    EXECUTE format('CREATE POLICY no_portal ON %I AS RESTRICTIVE
      USING (app_partner_id() IS NULL) WITH CHECK (app_partner_id() IS NULL)', t);
  END LOOP;
  -- The portal reads the library and the hot profile, never writes them.
  FOREACH t IN ARRAY ARRAY['enablement_items', 'enablement_files', 'hot_profiles'] LOOP
    EXECUTE format('CREATE POLICY portal_read_only ON %I AS RESTRICTIVE FOR INSERT
      WITH CHECK (app_partner_id() IS NULL)', t);
    EXECUTE format('CREATE POLICY portal_no_update ON %I AS RESTRICTIVE FOR UPDATE
      USING (app_partner_id() IS NULL)', t);
    EXECUTE format('CREATE POLICY portal_no_delete ON %I AS RESTRICTIVE FOR DELETE
      USING (app_partner_id() IS NULL)', t);
  END LOOP;
END
$$;
-- +goose StatementEnd

GRANT SELECT, INSERT, UPDATE, DELETE ON policy_overrides, agreement_templates, onboarding_steps,
    partner_onboarding, enablement_items, enablement_files, hot_profiles TO allyway_app;
-- Versions are never deleted: a draft is discarded by deleting it only while
-- it is a draft (checked by the trigger below).
GRANT SELECT, INSERT, UPDATE, DELETE ON agreements TO allyway_app;

-- Terms of a version that left draft are frozen: a change is a new version.
-- +goose StatementBegin
CREATE FUNCTION agreements_freeze() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'draft' THEN
      RAISE EXCEPTION 'agreement version % is %: only drafts can be deleted', OLD.version, OLD.status
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.status NOT IN ('draft') AND (
       NEW.partner_id IS DISTINCT FROM OLD.partner_id OR NEW.version IS DISTINCT FROM OLD.version
    OR NEW.model IS DISTINCT FROM OLD.model OR NEW.terms IS DISTINCT FROM OLD.terms
    OR NEW.rules IS DISTINCT FROM OLD.rules OR NEW.effective_from IS DISTINCT FROM OLD.effective_from
    OR NEW.payment_trigger IS DISTINCT FROM OLD.payment_trigger
    OR NEW.payment_net_days IS DISTINCT FROM OLD.payment_net_days
    OR NEW.exclusivity IS DISTINCT FROM OLD.exclusivity
    OR NEW.exclusivity_scope IS DISTINCT FROM OLD.exclusivity_scope
    OR NEW.territories IS DISTINCT FROM OLD.territories
    OR NEW.accepted_at IS DISTINCT FROM OLD.accepted_at AND OLD.accepted_at IS NOT NULL) THEN
    RAISE EXCEPTION 'agreement version % is %: its terms are frozen', OLD.version, OLD.status
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER agreements_freeze BEFORE UPDATE OR DELETE ON agreements
    FOR EACH ROW EXECUTE FUNCTION agreements_freeze();

-- +goose Down
DROP TRIGGER agreements_freeze ON agreements;
DROP FUNCTION agreements_freeze();
DROP TABLE hot_profiles;
DROP TABLE enablement_files;
DROP TABLE enablement_items;
DROP TABLE partner_onboarding;
DROP TABLE onboarding_steps;
DROP TABLE agreements;
DROP TABLE agreement_templates;
DROP TABLE policy_overrides;
ALTER TABLE tenant_settings DROP COLUMN profession;
