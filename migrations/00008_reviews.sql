-- Scorecards, step 1: quarterly reviews with attendees and action items,
-- client satisfaction surveys (signed link, no login), the yearly partner
-- satisfaction survey, finance's program inputs per quarter, and alerts.
-- Conventions as in 00001.

-- +goose Up

-- Alert thresholds and the program's goals (domain guide defaults), and
-- which scorecard sections partners see in the portal.
ALTER TABLE tenant_settings
    ADD COLUMN uneven_ratio_x10     integer NOT NULL DEFAULT 30 CHECK (uneven_ratio_x10 BETWEEN 11 AND 1000),
    ADD COLUMN uneven_min_referrals integer NOT NULL DEFAULT 5 CHECK (uneven_min_referrals BETWEEN 1 AND 1000),
    ADD COLUMN silent_days          integer NOT NULL DEFAULT 90 CHECK (silent_days BETWEEN 7 AND 730),
    ADD COLUMN revenue_goal_min_bp  integer NOT NULL DEFAULT 2000 CHECK (revenue_goal_min_bp BETWEEN 0 AND 10000),
    ADD COLUMN revenue_goal_max_bp  integer NOT NULL DEFAULT 4000 CHECK (revenue_goal_max_bp BETWEEN 0 AND 10000),
    ADD COLUMN roi_goal_x10         integer NOT NULL DEFAULT 50 CHECK (roi_goal_x10 BETWEEN 1 AND 1000),
    ADD COLUMN scorecard_shared     text[] NOT NULL DEFAULT '{referrals,conversion,response,reciprocity,tier}';

-- A quarterly (or tier-cadence) review of one partner.
CREATE TABLE partner_reviews (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    partner_id       uuid NOT NULL,
    quarter          text NOT NULL CHECK (quarter ~ '^[0-9]{4}-Q[1-4]$'),
    scheduled_at     timestamptz NOT NULL,
    duration_minutes integer NOT NULL DEFAULT 60 CHECK (duration_minutes BETWEEN 5 AND 600),
    location         text NOT NULL DEFAULT '' CHECK (length(location) <= 500),
    status           text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'held', 'cancelled')),
    -- The agenda as prefilled (scorecard figures and open alerts), then edited.
    agenda           text NOT NULL DEFAULT '' CHECK (length(agenda) <= 20000),
    notes            text NOT NULL DEFAULT '' CHECK (length(notes) <= 50000),
    held_at          timestamptz,
    next_review_on   date,
    ics_sequence     integer NOT NULL DEFAULT 0,
    created_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id) ON DELETE CASCADE,
    CHECK ((status = 'held') = (held_at IS NOT NULL))
);
CREATE INDEX partner_reviews_partner_idx ON partner_reviews (tenant_id, partner_id, scheduled_at);
CREATE INDEX partner_reviews_upcoming_idx ON partner_reviews (tenant_id, scheduled_at) WHERE status = 'scheduled';

CREATE TABLE review_attendees (
    tenant_id  uuid NOT NULL,
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    review_id  uuid NOT NULL,
    partner_id uuid NOT NULL,
    side       text NOT NULL CHECK (side IN ('firm', 'partner')),
    name       text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    email      text CHECK (email = lower(email) AND length(email) <= 320),
    attended   boolean,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, review_id) REFERENCES partner_reviews (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX review_attendees_review_idx ON review_attendees (tenant_id, review_id);

CREATE TABLE review_actions (
    tenant_id     uuid NOT NULL,
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    review_id     uuid NOT NULL,
    partner_id    uuid NOT NULL,
    title         text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 500),
    owner_side    text NOT NULL DEFAULT 'firm' CHECK (owner_side IN ('firm', 'partner')),
    owner_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    owner_name    text NOT NULL CHECK (length(btrim(owner_name)) BETWEEN 1 AND 200),
    due_on        date,
    done_at       timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, review_id) REFERENCES partner_reviews (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX review_actions_open_idx ON review_actions (tenant_id, partner_id, due_on) WHERE done_at IS NULL;

-- Client satisfaction of a referred engagement (1–5): asked by email after
-- kick-off through a signed link (no login), or recorded by staff.
CREATE TABLE client_surveys (
    tenant_id     uuid NOT NULL,
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    engagement_id uuid NOT NULL,
    referral_id   uuid NOT NULL,
    partner_id    uuid NOT NULL,
    email         text CHECK (email = lower(email) AND length(email) <= 320),
    -- The link's secret is sent, its SHA-256 kept: /s/{tenant}/{token}.
    token_hash    bytea,
    sent_at       timestamptz,
    score         smallint CHECK (score BETWEEN 1 AND 5),
    comment       text NOT NULL DEFAULT '' CHECK (length(comment) <= 5000),
    answered_at   timestamptz,
    source        text CHECK (source IN ('link', 'staff')),
    recorded_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, engagement_id),
    UNIQUE (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, engagement_id) REFERENCES engagements (tenant_id, id) ON DELETE CASCADE,
    CHECK ((score IS NULL) = (answered_at IS NULL) AND (score IS NULL) = (source IS NULL))
);
CREATE INDEX client_surveys_partner_idx ON client_surveys (tenant_id, partner_id, answered_at);

-- The yearly partner satisfaction survey (0–10 and comments), one answer
-- per portal user and year.
CREATE TABLE partner_surveys (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    partner_id  uuid NOT NULL,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    year        integer NOT NULL CHECK (year BETWEEN 2000 AND 2200),
    score       smallint NOT NULL CHECK (score BETWEEN 0 AND 10),
    comment     text NOT NULL DEFAULT '' CHECK (length(comment) <= 5000),
    answered_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, partner_id, user_id, year),
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id) ON DELETE CASCADE
);

-- What finance enters per quarter; program cost = commissions + these.
CREATE TABLE program_inputs (
    tenant_id               uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    quarter                 text NOT NULL CHECK (quarter ~ '^[0-9]{4}-Q[1-4]$'),
    total_new_revenue_cents bigint NOT NULL DEFAULT 0 CHECK (total_new_revenue_cents BETWEEN 0 AND 1000000000000000),
    management_cost_cents   bigint NOT NULL DEFAULT 0 CHECK (management_cost_cents BETWEEN 0 AND 1000000000000000),
    marketing_cost_cents    bigint NOT NULL DEFAULT 0 CHECK (marketing_cost_cents BETWEEN 0 AND 1000000000000000),
    systems_cost_cents      bigint NOT NULL DEFAULT 0 CHECK (systems_cost_cents BETWEEN 0 AND 1000000000000000),
    other_cost_cents        bigint NOT NULL DEFAULT 0 CHECK (other_cost_cents BETWEEN 0 AND 1000000000000000),
    updated_by              uuid REFERENCES users (id) ON DELETE SET NULL,
    updated_at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, quarter)
);

-- Alerts raised by the daily scan; one open alert per key (kind + partner
-- + what it is about), resolved when the condition clears.
CREATE TABLE alerts (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    kind        text NOT NULL CHECK (kind IN ('uneven_flow', 'conversion_drop', 'sla_breach', 'silent_partner',
                    'relationship_at_risk', 'agreement_expiring')),
    partner_id  uuid,
    key         text NOT NULL CHECK (length(key) BETWEEN 1 AND 300),
    message     text NOT NULL CHECK (length(message) BETWEEN 1 AND 2000),
    details     jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz,
    emailed_at  timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX alerts_open_key ON alerts (tenant_id, key) WHERE resolved_at IS NULL;
CREATE INDEX alerts_partner_idx ON alerts (tenant_id, partner_id, created_at);

-- +goose StatementBegin
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['partner_reviews', 'review_attendees', 'review_actions', 'client_surveys',
                           'partner_surveys', 'program_inputs', 'alerts'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_rows ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
  END LOOP;
  -- A partner reads its own reviews, attendees and action items (and may
  -- write nothing there).
  FOREACH t IN ARRAY ARRAY['partner_reviews', 'review_attendees', 'review_actions'] LOOP
    EXECUTE format('CREATE POLICY portal_partner ON %I AS RESTRICTIVE
      USING (app_partner_id() IS NULL OR partner_id = app_partner_id())
      WITH CHECK (app_partner_id() IS NULL)', t);
  END LOOP;
  -- A partner's users answer the partner satisfaction survey.
  CREATE POLICY portal_partner ON partner_surveys AS RESTRICTIVE
    USING (app_partner_id() IS NULL OR partner_id = app_partner_id())
    WITH CHECK (app_partner_id() IS NULL OR partner_id = app_partner_id());
  -- Client surveys (client emails), program inputs and alerts: staff only.
  FOREACH t IN ARRAY ARRAY['client_surveys', 'program_inputs', 'alerts'] LOOP
    EXECUTE format('CREATE POLICY no_portal ON %I AS RESTRICTIVE
      USING (app_partner_id() IS NULL) WITH CHECK (app_partner_id() IS NULL)', t);
  END LOOP;
END
$$;
-- +goose StatementEnd

GRANT SELECT, INSERT, UPDATE, DELETE ON partner_reviews, review_attendees, review_actions TO allyway_app;
GRANT SELECT, INSERT, UPDATE ON client_surveys, partner_surveys, program_inputs, alerts TO allyway_app;

-- Reviews: what the partner sees of a held review in the portal
-- (the firm's notes stay internal), and why a review was cancelled.
ALTER TABLE partner_reviews
    ADD COLUMN shared_summary text NOT NULL DEFAULT '' CHECK (length(shared_summary) <= 20000),
    ADD COLUMN cancel_reason  text NOT NULL DEFAULT '' CHECK (length(cancel_reason) <= 1000);

-- +goose Down
DROP TABLE alerts;
DROP TABLE program_inputs;
DROP TABLE partner_surveys;
DROP TABLE client_surveys;
DROP TABLE review_actions;
DROP TABLE review_attendees;
DROP TABLE partner_reviews;
ALTER TABLE tenant_settings
    DROP COLUMN uneven_ratio_x10, DROP COLUMN uneven_min_referrals, DROP COLUMN silent_days,
    DROP COLUMN revenue_goal_min_bp, DROP COLUMN revenue_goal_max_bp, DROP COLUMN roi_goal_x10,
    DROP COLUMN scorecard_shared;
-- (partner_reviews.shared_summary and cancel_reason go with the table.)
