-- Webhooks: a firm subscribes URLs to events; each event is POSTed, signed,
-- to every enabled subscription that wants it, retried with backoff, and
-- logged (internal/webhook; docs/webhooks.md).
--
-- Emission is a transactional outbox in the database: statement-level
-- triggers on the tables the events are about write webhook_events rows in
-- the transaction that made the change, so an event exists if and only if
-- its change committed, and no domain code knows about webhooks. The
-- triggers first look the firm and event type up in webhook_interest (one
-- index probe): a firm without a subscription to that event writes
-- nothing, which keeps accrual's thousand-row inserts as cheap as before.
-- A job (internal/webhook, every few seconds) fans new events out into
-- webhook_deliveries, one per subscription, and delivers them.

-- +goose Up

CREATE TABLE webhook_subscriptions (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    url         text NOT NULL CHECK (length(url) BETWEEN 10 AND 2000 AND url ~ '^https?://'),
    events      text[] NOT NULL CHECK (cardinality(events) BETWEEN 1 AND 6 AND events <@ ARRAY[
                    'referral.created', 'referral.status_changed', 'agreement.accepted',
                    'commission.accrued', 'payout.paid', 'partner.status_changed']::text[]),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
    -- The signing secret (whsec_…). Kept readable, not hashed: every
    -- delivery is signed with it. Shown once, at creation.
    secret      text NOT NULL CHECK (secret ~ '^whsec_[A-Za-z0-9_-]{32,}$'),
    enabled     boolean NOT NULL DEFAULT true,
    disabled_at timestamptz,
    -- Why it is disabled: by whom, or the automatic disabling's last error.
    disabled_reason text,
    -- Failed attempts since the last success, and when that streak began:
    -- the automatic disabling reads them.
    consecutive_failures integer NOT NULL DEFAULT 0,
    failing_since timestamptz,
    -- A delivery run's lease on the subscription: one run at a time
    -- delivers to a URL, so its events go out in order.
    delivering_until timestamptz,
    created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CHECK (enabled = (disabled_at IS NULL))
);
CREATE INDEX webhook_subscriptions_created_idx ON webhook_subscriptions (tenant_id, created_at, id);

-- What happened, in commit-independent but per-subject causal order (id).
-- subject groups the events whose order matters to a receiver
-- ("referral:<id>"): a delivery waits for the earlier ones of its subject.
CREATE TABLE webhook_events (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            bigint GENERATED ALWAYS AS IDENTITY,
    -- The event's id for receivers (the envelope's id and the
    -- Allyway-Webhook-Id header; the same on every retry).
    public_id     uuid NOT NULL DEFAULT gen_random_uuid(),
    type          text NOT NULL CHECK (type IN ('referral.created', 'referral.status_changed', 'agreement.accepted',
                      'commission.accrued', 'payout.paid', 'partner.status_changed', 'webhook.test')),
    subject       text NOT NULL,
    data          jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- When the job turned it into deliveries; NULL until then.
    dispatched_at timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX webhook_events_undispatched_idx ON webhook_events (tenant_id, id) WHERE dispatched_at IS NULL;
CREATE INDEX webhook_events_created_idx ON webhook_events (tenant_id, created_at);

-- One event for one subscription: its attempts so far and the next one.
CREATE TABLE webhook_deliveries (
    tenant_id        uuid NOT NULL,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    subscription_id  uuid NOT NULL,
    event_id         bigint NOT NULL,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_attempt_at  timestamptz,
    last_status_code integer,
    last_error       text NOT NULL DEFAULT '',
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, subscription_id, event_id),
    FOREIGN KEY (tenant_id, subscription_id) REFERENCES webhook_subscriptions (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, event_id) REFERENCES webhook_events (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (tenant_id, subscription_id, event_id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (tenant_id, subscription_id, created_at DESC);
CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (tenant_id, event_id);

-- Global, like tenants: which firm wants which event type (from its enabled
-- subscriptions, kept by a trigger below). No tenant data beyond that, and
-- readable in every scope on purpose: the emitting triggers run in the
-- scope of whoever made the change (a partner in the portal too), and the
-- delivery job finds the firms to work on here instead of visiting every
-- firm every few seconds.
CREATE TABLE webhook_interest (
    firm_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_type text NOT NULL,
    PRIMARY KEY (firm_id, event_type)
);

-- +goose StatementBegin
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['webhook_subscriptions', 'webhook_events', 'webhook_deliveries'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
  END LOOP;
  -- Subscriptions (their secrets) and deliveries: the firm's staff-side
  -- work only; a portal request sees and writes no row.
  FOREACH t IN ARRAY ARRAY['webhook_subscriptions', 'webhook_deliveries'] LOOP
    EXECUTE format('CREATE POLICY tenant_rows ON %I
      USING (tenant_id = CASE WHEN app_partner_id() IS NULL THEN app_tenant_id() END)
      WITH CHECK (tenant_id = CASE WHEN app_partner_id() IS NULL THEN app_tenant_id() END)', t);
  END LOOP;
END
$$;
-- +goose StatementEnd

-- Events: any request of the firm may add one (a partner submitting a
-- referral emits referral.created); only staff-side work reads them.
CREATE POLICY tenant_rows ON webhook_events
    USING (tenant_id = CASE WHEN app_partner_id() IS NULL THEN app_tenant_id() END)
    WITH CHECK (tenant_id = app_tenant_id());

GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_subscriptions, webhook_deliveries TO allyway_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_events TO allyway_app;
-- webhook_interest holds no tenant's data beyond "firm F wants event type
-- T" and has no Row-Level Security, so the triggers can read it in portal
-- transactions too. The app may only read it: webhook_interest_sync (a
-- SECURITY DEFINER function of the owner, seeing webhook_subscriptions
-- under the transaction's own firm) is its only writer, so no request can
-- add or drop another firm's interest.
GRANT SELECT ON webhook_interest TO allyway_app;

-- webhook_interest_sync keeps the firm's interest equal to the event types
-- of its enabled subscriptions. Per row: subscriptions change rarely. The
-- advisory lock serialises two admins changing one firm's subscriptions.
-- +goose StatementBegin
CREATE FUNCTION webhook_interest_sync() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  firm uuid;
BEGIN
  IF TG_OP = 'DELETE' THEN
    firm := OLD.tenant_id;
  ELSE
    firm := NEW.tenant_id;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('webhook_interest:' || firm::text, 0));
  DELETE FROM webhook_interest i WHERE i.firm_id = firm AND NOT EXISTS (
    SELECT 1 FROM webhook_subscriptions s
    WHERE s.tenant_id = firm AND s.enabled AND i.event_type = ANY (s.events));
  INSERT INTO webhook_interest (firm_id, event_type)
    SELECT DISTINCT firm, e FROM webhook_subscriptions s, unnest(s.events) e
    WHERE s.tenant_id = firm AND s.enabled
    ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER webhook_interest_sync AFTER INSERT OR DELETE OR UPDATE OF enabled, events ON webhook_subscriptions
    FOR EACH ROW EXECUTE FUNCTION webhook_interest_sync();

-- webhook_wanted: does any firm whose rows the statement may touch want
-- this event type? With a tenant set (every request and job) it is one
-- index probe for that firm; without one (maintenance as the owner) any
-- firm's interest sends the statement on to the per-row check.
-- +goose StatementBegin
CREATE FUNCTION webhook_wanted(event text) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN app_tenant_id() IS NOT NULL
    THEN EXISTS (SELECT 1 FROM webhook_interest WHERE firm_id = app_tenant_id() AND event_type = event)
    ELSE EXISTS (SELECT 1 FROM webhook_interest WHERE event_type = event) END
$$;
-- +goose StatementEnd

-- The payloads use the JSON API's field names (docs/webhooks.md).
-- +goose StatementBegin
CREATE FUNCTION webhook_referral_json(r referrals) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', r.id, 'number', r.number, 'ref', 'R-' || r.number, 'direction', r.direction,
    'partner_id', r.partner_id, 'client_company', r.client_company, 'client_domain', r.client_domain,
    'status', r.status, 'status_changed_at', r.status_changed_at, 'source', r.source,
    'estimated_value_cents', r.estimated_value_cents, 'currency', r.currency,
    'credited_partner_id', r.credited_partner_id, 'conflict_with_id', r.conflict_with_id,
    'submitted_at', r.submitted_at)
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION webhook_emit_referrals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NOT webhook_wanted('referral.created') THEN
      RETURN NULL;
    END IF;
    INSERT INTO webhook_events (tenant_id, type, subject, data)
      SELECT n.tenant_id, 'referral.created', 'referral:' || n.id,
             jsonb_build_object('referral', webhook_referral_json(n))
      FROM wh_new n
      WHERE EXISTS (SELECT 1 FROM webhook_interest i WHERE i.firm_id = n.tenant_id AND i.event_type = 'referral.created')
      ORDER BY n.number;
  ELSE
    IF NOT webhook_wanted('referral.status_changed') THEN
      RETURN NULL;
    END IF;
    INSERT INTO webhook_events (tenant_id, type, subject, data)
      SELECT n.tenant_id, 'referral.status_changed', 'referral:' || n.id,
             jsonb_build_object('referral', webhook_referral_json(n), 'from', o.status, 'to', n.status)
      FROM wh_new n JOIN wh_old o ON o.tenant_id = n.tenant_id AND o.id = n.id
      WHERE n.status IS DISTINCT FROM o.status
        AND EXISTS (SELECT 1 FROM webhook_interest i WHERE i.firm_id = n.tenant_id AND i.event_type = 'referral.status_changed')
      ORDER BY n.number;
  END IF;
  RETURN NULL;
END
$$;
-- +goose StatementEnd

-- agreement.accepted: a version becomes active (accepted in the portal, or
-- recorded as signed elsewhere, also when created active).
-- +goose StatementBegin
CREATE FUNCTION webhook_agreement_json(a agreements) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('agreement', jsonb_build_object(
    'id', a.id, 'partner_id', a.partner_id, 'version', a.version, 'status', a.status, 'model', a.model,
    'title', a.title, 'effective_from', a.effective_from, 'effective_to', a.effective_to,
    'payment_trigger', a.payment_trigger, 'payment_net_days', a.payment_net_days,
    'accepted_at', a.accepted_at, 'accepted_name', a.accepted_name, 'accepted_via', a.accepted_via))
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION webhook_emit_agreements() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT webhook_wanted('agreement.accepted') THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO webhook_events (tenant_id, type, subject, data)
      SELECT n.tenant_id, 'agreement.accepted', 'partner:' || n.partner_id, webhook_agreement_json(n)
      FROM wh_new n
      WHERE n.status = 'active'
        AND EXISTS (SELECT 1 FROM webhook_interest i WHERE i.firm_id = n.tenant_id AND i.event_type = 'agreement.accepted')
      ORDER BY n.accepted_at, n.id;
  ELSE
    INSERT INTO webhook_events (tenant_id, type, subject, data)
      SELECT n.tenant_id, 'agreement.accepted', 'partner:' || n.partner_id, webhook_agreement_json(n)
      FROM wh_new n JOIN wh_old o ON o.tenant_id = n.tenant_id AND o.id = n.id
      WHERE n.status = 'active' AND o.status <> 'active'
        AND EXISTS (SELECT 1 FROM webhook_interest i WHERE i.firm_id = n.tenant_id AND i.event_type = 'agreement.accepted')
      ORDER BY n.accepted_at, n.id;
  END IF;
  RETURN NULL;
END
$$;
-- +goose StatementEnd

-- commission.accrued: an accrual entry in the ledger (per referral, so it
-- is ordered after the referral's own events).
-- +goose StatementBegin
CREATE FUNCTION webhook_emit_journal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT webhook_wanted('commission.accrued') THEN
    RETURN NULL;
  END IF;
  INSERT INTO webhook_events (tenant_id, type, subject, data)
    SELECT n.tenant_id, 'commission.accrued', coalesce('referral:' || n.referral_id, 'partner:' || n.partner_id),
           jsonb_build_object('commission_entry', jsonb_build_object(
             'id', n.id, 'partner_id', n.partner_id, 'referral_id', n.referral_id, 'revenue_event_id', n.revenue_event_id,
             'agreement_id', n.agreement_id, 'kind', n.kind, 'direction', n.direction, 'amount_cents', n.amount_cents,
             'currency', n.currency, 'rate_bp', n.rate_bp, 'due_on', n.due_on, 'explanation', n.explanation,
             'created_at', n.created_at))
    FROM wh_new n
    WHERE n.kind = 'accrual'
      AND EXISTS (SELECT 1 FROM webhook_interest i WHERE i.firm_id = n.tenant_id AND i.event_type = 'commission.accrued')
    ORDER BY n.created_at, n.id;
  RETURN NULL;
END
$$;
-- +goose StatementEnd

-- payout.paid: a payout becomes paid.
-- +goose StatementBegin
CREATE FUNCTION webhook_payout_json(p payouts) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('payout', jsonb_build_object(
    'id', p.id, 'batch_id', p.batch_id, 'batch_number', p.batch_number, 'partner_id', p.partner_id,
    'direction', p.direction, 'amount_cents', p.amount_cents, 'currency', p.currency, 'status', p.status,
    'paid_on', p.paid_on, 'reference', p.reference, 'created_at', p.created_at))
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION webhook_emit_payouts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT webhook_wanted('payout.paid') THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO webhook_events (tenant_id, type, subject, data)
      SELECT n.tenant_id, 'payout.paid', 'partner:' || n.partner_id, webhook_payout_json(n)
      FROM wh_new n
      WHERE n.status = 'paid'
        AND EXISTS (SELECT 1 FROM webhook_interest i WHERE i.firm_id = n.tenant_id AND i.event_type = 'payout.paid')
      ORDER BY n.id;
  ELSE
    INSERT INTO webhook_events (tenant_id, type, subject, data)
      SELECT n.tenant_id, 'payout.paid', 'partner:' || n.partner_id, webhook_payout_json(n)
      FROM wh_new n JOIN wh_old o ON o.tenant_id = n.tenant_id AND o.id = n.id
      WHERE n.status = 'paid' AND o.status <> 'paid'
        AND EXISTS (SELECT 1 FROM webhook_interest i WHERE i.firm_id = n.tenant_id AND i.event_type = 'payout.paid')
      ORDER BY n.id;
  END IF;
  RETURN NULL;
END
$$;
-- +goose StatementEnd

-- partner.status_changed: a partner's lifecycle status changes.
-- +goose StatementBegin
CREATE FUNCTION webhook_emit_partners() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT webhook_wanted('partner.status_changed') THEN
    RETURN NULL;
  END IF;
  INSERT INTO webhook_events (tenant_id, type, subject, data)
    SELECT n.tenant_id, 'partner.status_changed', 'partner:' || n.id,
           jsonb_build_object('partner', jsonb_build_object(
             'id', n.id, 'name', n.name, 'domain', n.domain, 'type', n.type, 'status', n.status),
             'from', o.status, 'to', n.status)
    FROM wh_new n JOIN wh_old o ON o.tenant_id = n.tenant_id AND o.id = n.id
    WHERE n.status IS DISTINCT FROM o.status
      AND EXISTS (SELECT 1 FROM webhook_interest i WHERE i.firm_id = n.tenant_id AND i.event_type = 'partner.status_changed')
    ORDER BY n.id;
  RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER webhook_emit_insert AFTER INSERT ON referrals REFERENCING NEW TABLE AS wh_new
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_emit_referrals();
CREATE TRIGGER webhook_emit_update AFTER UPDATE ON referrals REFERENCING OLD TABLE AS wh_old NEW TABLE AS wh_new
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_emit_referrals();
CREATE TRIGGER webhook_emit_insert AFTER INSERT ON agreements REFERENCING NEW TABLE AS wh_new
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_emit_agreements();
CREATE TRIGGER webhook_emit_update AFTER UPDATE ON agreements REFERENCING OLD TABLE AS wh_old NEW TABLE AS wh_new
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_emit_agreements();
CREATE TRIGGER webhook_emit_insert AFTER INSERT ON journal_entries REFERENCING NEW TABLE AS wh_new
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_emit_journal();
CREATE TRIGGER webhook_emit_insert AFTER INSERT ON payouts REFERENCING NEW TABLE AS wh_new
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_emit_payouts();
CREATE TRIGGER webhook_emit_update AFTER UPDATE ON payouts REFERENCING OLD TABLE AS wh_old NEW TABLE AS wh_new
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_emit_payouts();
CREATE TRIGGER webhook_emit_update AFTER UPDATE ON partners REFERENCING OLD TABLE AS wh_old NEW TABLE AS wh_new
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_emit_partners();

-- +goose Down
DROP TRIGGER webhook_emit_update ON partners;
DROP TRIGGER webhook_emit_update ON payouts;
DROP TRIGGER webhook_emit_insert ON payouts;
DROP TRIGGER webhook_emit_insert ON journal_entries;
DROP TRIGGER webhook_emit_update ON agreements;
DROP TRIGGER webhook_emit_insert ON agreements;
DROP TRIGGER webhook_emit_update ON referrals;
DROP TRIGGER webhook_emit_insert ON referrals;
DROP FUNCTION webhook_emit_partners();
DROP FUNCTION webhook_emit_payouts();
DROP FUNCTION webhook_emit_journal();
DROP FUNCTION webhook_emit_agreements();
DROP FUNCTION webhook_emit_referrals();
DROP FUNCTION webhook_payout_json(payouts);
DROP FUNCTION webhook_agreement_json(agreements);
DROP FUNCTION webhook_referral_json(referrals);
DROP FUNCTION webhook_wanted(text);
DROP TABLE webhook_deliveries;
DROP TABLE webhook_events;
DROP TABLE webhook_subscriptions;
DROP FUNCTION webhook_interest_sync();
DROP TABLE webhook_interest;
