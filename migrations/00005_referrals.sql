-- Referrals both ways: the prospect's personal data kept apart, the pipeline
-- and its timeline, SLA clocks and breaches, duplicates and attribution,
-- assisting partners, engagements (what won referrals became) and the
-- firm's known clients. Conventions as in 00001.

-- +goose Up

ALTER TABLE tenant_settings
    -- The firm's clock for SLA hours and "today" (IANA zone).
    ADD COLUMN time_zone                text NOT NULL DEFAULT 'UTC',
    -- 'business': only Monday–Friday hours in the firm's zone count;
    -- 'calendar': every hour counts.
    ADD COLUMN sla_clock                text NOT NULL DEFAULT 'business'
        CHECK (sla_clock IN ('business', 'calendar')),
    ADD COLUMN sla_first_response_hours integer NOT NULL DEFAULT 24 CHECK (sla_first_response_hours BETWEEN 1 AND 720),
    ADD COLUMN sla_first_contact_hours  integer NOT NULL DEFAULT 72 CHECK (sla_first_contact_hours BETWEEN 1 AND 720),
    ADD COLUMN sla_meeting_days         integer NOT NULL DEFAULT 7 CHECK (sla_meeting_days BETWEEN 1 AND 90),
    -- How long a partner has to accept or decline an outbound referral.
    ADD COLUMN sla_partner_response_hours integer NOT NULL DEFAULT 48 CHECK (sla_partner_response_hours BETWEEN 1 AND 720),
    -- Remind the owner this many hours before a breach.
    ADD COLUMN sla_reminder_hours       integer NOT NULL DEFAULT 4 CHECK (sla_reminder_hours BETWEEN 0 AND 168),
    ADD COLUMN attribution_rule         text NOT NULL DEFAULT 'first_introduction'
        CHECK (attribution_rule IN ('first_introduction', 'staff_decides')),
    ADD COLUMN claim_window_days        integer NOT NULL DEFAULT 90 CHECK (claim_window_days BETWEEN 1 AND 730),
    -- Whether a won referral's scope is told to the partner.
    ADD COLUMN share_won_scope          boolean NOT NULL DEFAULT true;

-- The firm's referral qualification checklist, answered before a partner
-- submits (required questions must be answered yes).
CREATE TABLE referral_questions (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    question   text NOT NULL CHECK (length(btrim(question)) BETWEEN 1 AND 300),
    help       text NOT NULL DEFAULT '',
    required   boolean NOT NULL DEFAULT true,
    position   integer NOT NULL DEFAULT 0,
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

-- Clients the firm already has (from won referrals or entered/imported),
-- matched against new submissions. attest: an accounting firm's audit/attest
-- client, on which no commission may be paid.
CREATE TABLE clients (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    name_norm   text NOT NULL,
    domain      text CHECK (domain = lower(btrim(domain))),
    attest      boolean NOT NULL DEFAULT false,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX clients_name_idx ON clients (tenant_id, name_norm);
-- Stored normalised (lower case) and compared with plain "=": a function
-- like lower() is not leakproof, so under Row-Level Security an index on it
-- can't be used and every lookup would scan the firm's rows.
CREATE INDEX clients_domain_idx ON clients (tenant_id, domain);

-- The referred person (PII), apart from the referral's facts and money so
-- it can be exported or erased on its own.
CREATE TABLE referral_prospects (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    partner_id    uuid NOT NULL,
    contact_name  text NOT NULL DEFAULT '',
    -- Normalised (lower case, trimmed): matched with "=" (see clients).
    contact_email text NOT NULL DEFAULT '' CHECK (contact_email = lower(btrim(contact_email))),
    contact_phone text NOT NULL DEFAULT '',
    erased_at     timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX referral_prospects_email_idx ON referral_prospects (tenant_id, contact_email) WHERE contact_email <> '';

CREATE SEQUENCE referral_number_seq START 1001;

CREATE TABLE referrals (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    -- A short number people can say on the phone ("R-1042"). One global
    -- sequence: a per-firm counter row would serialise every submission.
    number           bigint NOT NULL DEFAULT nextval('referral_number_seq'),
    direction        text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    partner_id       uuid NOT NULL,
    prospect_id      uuid NOT NULL,
    client_id        uuid,
    client_company   text NOT NULL CHECK (length(btrim(client_company)) BETWEEN 1 AND 200),
    client_domain    text,
    -- Normalised company name ("Acme, Inc." → "acme") for duplicate matching.
    client_name_norm text NOT NULL,
    service_id       uuid,
    challenge        text NOT NULL DEFAULT '' CHECK (length(challenge) <= 5000),
    context          text NOT NULL DEFAULT '' CHECK (length(context) <= 5000),
    promises_made    text NOT NULL DEFAULT '' CHECK (length(promises_made) <= 2000),
    urgency          text NOT NULL DEFAULT 'normal' CHECK (urgency IN ('low', 'normal', 'high', 'urgent')),
    estimated_value_cents bigint CHECK (estimated_value_cents >= 0),
    currency         text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    -- The qualification checklist as answered: [{"question","required","answer"}].
    checklist        jsonb NOT NULL DEFAULT '[]'::jsonb,
    status           text NOT NULL DEFAULT 'submitted'
                     CHECK (status IN ('submitted', 'acknowledged', 'contacted', 'meeting', 'proposal', 'won', 'lost', 'declined')),
    status_changed_at timestamptz NOT NULL DEFAULT now(),
    source           text NOT NULL DEFAULT 'portal' CHECK (source IN ('portal', 'staff', 'api', 'import')),
    submitted_at     timestamptz NOT NULL DEFAULT now(),
    submitted_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    -- A form's one-time token or an API Idempotency-Key: the same key from
    -- the same partner never makes a second referral.
    idempotency_key  text,
    -- Inside the firm: who received or brought it (origination credit) and
    -- who works it.
    originator_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    owner_user_id    uuid REFERENCES users (id) ON DELETE SET NULL,
    -- Attribution: the partner credited with it (the sourcing partner unless
    -- a conflict was decided otherwise) and the referral it collided with.
    credited_partner_id uuid,
    conflict_with_id uuid,
    conflict_status  text NOT NULL DEFAULT 'none' CHECK (conflict_status IN ('none', 'open', 'resolved')),
    conflict_note    text NOT NULL DEFAULT '',
    -- The claim protects this introduction until then, moved on by progress.
    claim_expires_at timestamptz,
    -- SLA clocks (due) and when each was met.
    first_response_due_at timestamptz,
    first_responded_at    timestamptz,
    first_contact_due_at  timestamptz,
    contacted_at          timestamptz,
    meeting_due_at        timestamptz,
    meeting_at            timestamptz,
    -- Outbound: the partner's answer.
    partner_response_due_at timestamptz,
    partner_accepted_at   timestamptz,
    partner_declined_at   timestamptz,
    partner_decline_reason text,
    -- Closing.
    closed_at        timestamptz,
    close_reason     text CHECK (close_reason IN ('timing', 'budget', 'fit', 'competitor', 'no_response', 'other')),
    fit              text CHECK (fit IN ('good', 'poor')),
    fit_note         text NOT NULL DEFAULT '',
    -- Profession guardrails (law/accounting): recorded before accept/won.
    fee_disclosed_at    timestamptz,
    conflicts_cleared_at timestamptz,
    attest_client    boolean NOT NULL DEFAULT false,
    -- The agreement version in force on the submission date.
    agreement_id     uuid,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, number),
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id) ON DELETE RESTRICT,
    FOREIGN KEY (tenant_id, prospect_id) REFERENCES referral_prospects (tenant_id, id) ON DELETE RESTRICT,
    FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id) ON DELETE SET NULL (client_id),
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id) ON DELETE SET NULL (service_id),
    FOREIGN KEY (tenant_id, credited_partner_id) REFERENCES partners (tenant_id, id) ON DELETE SET NULL (credited_partner_id),
    FOREIGN KEY (tenant_id, conflict_with_id) REFERENCES referrals (tenant_id, id) ON DELETE SET NULL (conflict_with_id),
    FOREIGN KEY (tenant_id, agreement_id) REFERENCES agreements (tenant_id, id) ON DELETE SET NULL (agreement_id),
    CHECK ((status IN ('won', 'lost', 'declined')) = (closed_at IS NOT NULL)),
    CHECK (status NOT IN ('lost', 'declined') OR close_reason IS NOT NULL)
);
CREATE UNIQUE INDEX referrals_idempotency_key ON referrals (tenant_id, partner_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX referrals_partner_idx ON referrals (tenant_id, partner_id, submitted_at DESC);
CREATE INDEX referrals_status_idx ON referrals (tenant_id, status, submitted_at DESC);
CREATE INDEX referrals_submitted_idx ON referrals (tenant_id, submitted_at DESC, id);
CREATE INDEX referrals_domain_idx ON referrals (tenant_id, client_domain) WHERE client_domain IS NOT NULL;
CREATE INDEX referrals_name_idx ON referrals (tenant_id, client_name_norm);
CREATE INDEX referrals_prospect_idx ON referrals (tenant_id, prospect_id);
CREATE INDEX referrals_conflict_idx ON referrals (tenant_id) WHERE conflict_status = 'open';
CREATE INDEX referrals_open_due_idx ON referrals (tenant_id, first_response_due_at)
    WHERE status NOT IN ('won', 'lost', 'declined');


-- Partners who helped (influence, no fee unless an agreement says so).
CREATE TABLE referral_assists (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    referral_id uuid NOT NULL,
    partner_id  uuid NOT NULL,
    note        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, referral_id, partner_id),
    FOREIGN KEY (tenant_id, referral_id) REFERENCES referrals (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX referral_assists_partner_idx ON referral_assists (tenant_id, partner_id);

-- The timeline: every move, note and system event, append-only. partner_id
-- is the referral's partner, so the portal policy can filter without a join;
-- visible_to_partner marks what the partner's timeline shows.
CREATE TABLE referral_events (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            bigint GENERATED ALWAYS AS IDENTITY,
    referral_id   uuid NOT NULL,
    partner_id    uuid NOT NULL,
    at            timestamptz NOT NULL DEFAULT now(),
    actor_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    actor_kind    text NOT NULL CHECK (actor_kind IN ('staff', 'partner', 'system', 'api')),
    kind          text NOT NULL CHECK (kind IN ('submitted', 'status', 'note', 'partner_note', 'conflict',
                      'attribution', 'sla_reminder', 'sla_breach', 'owner', 'fit', 'guardrail',
                      'partner_accepted', 'partner_declined', 'reassigned', 'engagement', 'claim_lapsed')),
    from_status   text,
    to_status     text,
    reason        text,
    body          text NOT NULL DEFAULT '',
    visible_to_partner boolean NOT NULL DEFAULT false,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, referral_id) REFERENCES referrals (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX referral_events_referral_idx ON referral_events (tenant_id, referral_id, at);
CREATE INDEX referral_events_status_idx ON referral_events (tenant_id, at) WHERE kind = 'status';

-- SLA breaches, one per referral and clock, for the at-risk view and scorecards.
CREATE TABLE sla_breaches (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    referral_id uuid NOT NULL,
    clock       text NOT NULL CHECK (clock IN ('first_response', 'first_contact', 'meeting', 'partner_response')),
    partner_id  uuid NOT NULL,
    due_at      timestamptz NOT NULL,
    breached_at timestamptz NOT NULL DEFAULT now(),
    reminded_at timestamptz,
    PRIMARY KEY (tenant_id, referral_id, clock),
    FOREIGN KEY (tenant_id, referral_id) REFERENCES referrals (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX sla_breaches_partner_idx ON sla_breaches (tenant_id, partner_id, due_at);

-- What a won referral became; the commissions issue pays on it.
CREATE TABLE engagements (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    referral_id uuid NOT NULL,
    partner_id  uuid NOT NULL,
    client_id   uuid,
    kind        text NOT NULL CHECK (kind IN ('project', 'retainer')),
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    scope       text NOT NULL DEFAULT '' CHECK (length(scope) <= 5000),
    value_cents bigint NOT NULL CHECK (value_cents >= 0),
    currency    text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    started_on  date NOT NULL,
    ended_on    date CHECK (ended_on IS NULL OR ended_on >= started_on),
    created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, referral_id) REFERENCES referrals (tenant_id, id) ON DELETE RESTRICT,
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id) ON DELETE RESTRICT,
    FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id) ON DELETE SET NULL (client_id)
);
CREATE INDEX engagements_referral_idx ON engagements (tenant_id, referral_id, started_on);
CREATE INDEX engagements_partner_idx ON engagements (tenant_id, partner_id, started_on);

-- +goose StatementBegin
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['referral_questions', 'clients', 'referral_prospects', 'referrals',
      'referral_assists', 'referral_events', 'sla_breaches', 'engagements'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_rows ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
  END LOOP;
  FOREACH t IN ARRAY ARRAY['referral_prospects', 'referrals', 'engagements'] LOOP
    EXECUTE format('CREATE POLICY portal_partner ON %I AS RESTRICTIVE
      USING (app_partner_id() IS NULL OR partner_id = app_partner_id())
      WITH CHECK (app_partner_id() IS NULL OR partner_id = app_partner_id())', t);
  END LOOP;
  -- A partner sees only the timeline entries meant for it.
  CREATE POLICY portal_partner ON referral_events AS RESTRICTIVE
    USING (app_partner_id() IS NULL OR (partner_id = app_partner_id() AND visible_to_partner))
    WITH CHECK (app_partner_id() IS NULL OR (partner_id = app_partner_id() AND visible_to_partner));
  FOREACH t IN ARRAY ARRAY['clients', 'referral_assists', 'sla_breaches'] LOOP
    EXECUTE format('CREATE POLICY no_portal ON %I AS RESTRICTIVE
      USING (app_partner_id() IS NULL) WITH CHECK (app_partner_id() IS NULL)', t);
  END LOOP;
  -- The portal reads the checklist, never changes it.
  CREATE POLICY portal_no_insert ON referral_questions AS RESTRICTIVE FOR INSERT
    WITH CHECK (app_partner_id() IS NULL);
  CREATE POLICY portal_no_update ON referral_questions AS RESTRICTIVE FOR UPDATE
    USING (app_partner_id() IS NULL);
  CREATE POLICY portal_no_delete ON referral_questions AS RESTRICTIVE FOR DELETE
    USING (app_partner_id() IS NULL);
END
$$;
-- +goose StatementEnd

GRANT SELECT, INSERT, UPDATE, DELETE ON referral_questions, clients, referral_assists TO allyway_app;
GRANT SELECT, INSERT, UPDATE ON referral_prospects, referrals, sla_breaches, engagements TO allyway_app;
GRANT SELECT, INSERT ON referral_events TO allyway_app;
GRANT USAGE ON SEQUENCE referral_number_seq TO allyway_app;
CREATE TRIGGER referral_events_append_only BEFORE UPDATE OR DELETE ON referral_events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- +goose Down
DROP TABLE engagements;
DROP TABLE sla_breaches;
DROP TABLE referral_events;
DROP TABLE referral_assists;
DROP TABLE referrals;
DROP SEQUENCE referral_number_seq;
DROP TABLE referral_prospects;
DROP TABLE clients;
DROP TABLE referral_questions;
ALTER TABLE tenant_settings
    DROP COLUMN share_won_scope,
    DROP COLUMN claim_window_days,
    DROP COLUMN attribution_rule,
    DROP COLUMN sla_reminder_hours,
    DROP COLUMN sla_partner_response_hours,
    DROP COLUMN sla_meeting_days,
    DROP COLUMN sla_first_contact_hours,
    DROP COLUMN sla_first_response_hours,
    DROP COLUMN sla_clock,
    DROP COLUMN time_zone;
