-- Rollups: what scorecards and the program dashboard read instead of raw
-- history, one row per partner and calendar month in the firm's time zone.
--
-- How they stay current: statement-level triggers on every table a figure
-- comes from mark the partners a statement touched (rollup_dirty, one row
-- per partner, whatever the number of rows changed); a job (every minute,
-- and a page before it reads) recomputes those partners' months from raw
-- data; the nightly job rebuilds every partner. A partner's history is a
-- few thousand rows at most, so recomputing all of it is cheaper and
-- simpler than maintaining deltas per month, and the rebuild-equals-
-- incremental test proves the triggers miss no change.

-- +goose Up

CREATE TABLE rollup_dirty (
    tenant_id  uuid NOT NULL,
    partner_id uuid NOT NULL,
    marked_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, partner_id)
);

-- Counts per partner and month (from the firm's side: received = inbound
-- from the partner, sent = outbound to it).
CREATE TABLE partner_months (
    tenant_id     uuid NOT NULL,
    partner_id    uuid NOT NULL,
    month         date NOT NULL CHECK (extract(day FROM month) = 1),
    -- Submitted in the month.
    received      integer NOT NULL DEFAULT 0,
    sent          integer NOT NULL DEFAULT 0,
    -- Submitted in the month and, today, in each open status (both
    -- directions), for the dashboard's open referrals by stage.
    open_submitted    integer NOT NULL DEFAULT 0,
    open_acknowledged integer NOT NULL DEFAULT 0,
    open_contacted    integer NOT NULL DEFAULT 0,
    open_meeting      integer NOT NULL DEFAULT 0,
    open_proposal     integer NOT NULL DEFAULT 0,
    -- The funnel of received referrals submitted in the month: how many
    -- reached each stage (a lost referral counts for the stages it passed).
    reached_contacted integer NOT NULL DEFAULT 0,
    reached_meeting   integer NOT NULL DEFAULT 0,
    reached_proposal  integer NOT NULL DEFAULT 0,
    reached_won       integer NOT NULL DEFAULT 0,
    -- Closed in the month.
    won_received  integer NOT NULL DEFAULT 0,
    lost_received integer NOT NULL DEFAULT 0,   -- lost or declined
    won_sent      integer NOT NULL DEFAULT 0,
    lost_sent     integer NOT NULL DEFAULT 0,
    fit_good      integer NOT NULL DEFAULT 0,   -- received, fit recorded at close
    fit_poor      integer NOT NULL DEFAULT 0,
    -- Minutes from submission to our first response, of the received
    -- referrals first answered in the month, ascending (percentiles are
    -- not additive, so the months keep the values; a partner-month holds
    -- a handful).
    response_minutes integer[] NOT NULL DEFAULT '{}',
    -- SLA breaches recorded in the month: ours (clocks on received
    -- referrals) and theirs (the partner's answer to ours).
    sla_ours      integer NOT NULL DEFAULT 0,
    sla_theirs    integer NOT NULL DEFAULT 0,
    -- Client satisfaction answers (1–5) given in the month.
    csat_sum      integer NOT NULL DEFAULT 0,
    csat_count    integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, partner_id, month)
);
CREATE INDEX partner_months_month_idx ON partner_months (tenant_id, month);

-- Money per partner, month and currency. Revenue by the client payment's
-- date; ledger entries by their accounting date (as statements date them).
CREATE TABLE partner_month_money (
    tenant_id     uuid NOT NULL,
    partner_id    uuid NOT NULL,
    month         date NOT NULL CHECK (extract(day FROM month) = 1),
    currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    revenue_received_cents bigint NOT NULL DEFAULT 0,  -- client payments on referrals we received
    revenue_sent_cents     bigint NOT NULL DEFAULT 0,  -- … on referrals we sent
    commission_earned_cents bigint NOT NULL DEFAULT 0, -- we pay: accruals, clawbacks, adjustments
    commission_paid_cents   bigint NOT NULL DEFAULT 0, -- we pay: payouts
    fee_earned_cents        bigint NOT NULL DEFAULT 0, -- we receive: accruals, clawbacks, adjustments
    fee_received_cents      bigint NOT NULL DEFAULT 0, -- we receive: received
    PRIMARY KEY (tenant_id, partner_id, month, currency)
);
CREATE INDEX partner_month_money_month_idx ON partner_month_money (tenant_id, month);

-- +goose StatementBegin
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['rollup_dirty', 'partner_months', 'partner_month_money'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
  END LOOP;
  -- The rollups: the firm's staff read and write them; a portal request
  -- reads its own partner's (the portal scorecard).
  FOREACH t IN ARRAY ARRAY['partner_months', 'partner_month_money'] LOOP
    EXECUTE format('CREATE POLICY tenant_rows ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
    EXECUTE format('CREATE POLICY portal_partner ON %I AS RESTRICTIVE
      USING (app_partner_id() IS NULL OR partner_id = app_partner_id())
      WITH CHECK (app_partner_id() IS NULL)', t);
  END LOOP;
END
$$;
-- +goose StatementEnd

-- Dirty marks: any request of the firm may add one (a partner submitting
-- a referral marks its own partner); only staff-side work reads or
-- clears them.
CREATE POLICY mark ON rollup_dirty FOR INSERT WITH CHECK (tenant_id = app_tenant_id());
CREATE POLICY staff ON rollup_dirty USING (tenant_id = app_tenant_id() AND app_partner_id() IS NULL)
    WITH CHECK (tenant_id = app_tenant_id() AND app_partner_id() IS NULL);

GRANT SELECT, INSERT, DELETE ON rollup_dirty TO allyway_app;
GRANT SELECT, INSERT, DELETE ON partner_months, partner_month_money TO allyway_app;

-- rollup_mark marks the partners of the rows a statement changed (both the
-- old and the new partner of an update). Statement-level, with transition
-- tables: one INSERT per statement, not per row.
-- +goose StatementBegin
CREATE FUNCTION rollup_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO rollup_dirty (tenant_id, partner_id)
      SELECT DISTINCT tenant_id, partner_id FROM rollup_new ORDER BY 1, 2
      ON CONFLICT DO NOTHING;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO rollup_dirty (tenant_id, partner_id)
      SELECT DISTINCT tenant_id, partner_id FROM rollup_old ORDER BY 1, 2
      ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['referrals', 'revenue_events', 'journal_entries', 'sla_breaches', 'client_surveys'] LOOP
    EXECUTE format('CREATE TRIGGER rollup_mark_insert AFTER INSERT ON %I REFERENCING NEW TABLE AS rollup_new
      FOR EACH STATEMENT EXECUTE FUNCTION rollup_mark()', t);
    EXECUTE format('CREATE TRIGGER rollup_mark_delete AFTER DELETE ON %I REFERENCING OLD TABLE AS rollup_old
      FOR EACH STATEMENT EXECUTE FUNCTION rollup_mark()', t);
  END LOOP;
  -- Ledger rows are never updated; revenue events only change their
  -- accrual bookkeeping, which no figure reads.
  FOREACH t IN ARRAY ARRAY['referrals', 'sla_breaches', 'client_surveys'] LOOP
    EXECUTE format('CREATE TRIGGER rollup_mark_update AFTER UPDATE ON %I REFERENCING OLD TABLE AS rollup_old NEW TABLE AS rollup_new
      FOR EACH STATEMENT EXECUTE FUNCTION rollup_mark()', t);
  END LOOP;
END
$$;
-- +goose StatementEnd

-- A payout's paid date dates its ledger entry: changing it marks the partner.
CREATE TRIGGER rollup_mark_update AFTER UPDATE ON payouts REFERENCING OLD TABLE AS rollup_old NEW TABLE AS rollup_new
    FOR EACH STATEMENT EXECUTE FUNCTION rollup_mark();

-- Every partner with history starts dirty: the first job run fills the rollups.
INSERT INTO rollup_dirty (tenant_id, partner_id) SELECT tenant_id, id FROM partners;

-- +goose Down
DROP TRIGGER rollup_mark_update ON payouts;
DROP TRIGGER rollup_mark_update ON referrals;
DROP TRIGGER rollup_mark_update ON sla_breaches;
DROP TRIGGER rollup_mark_update ON client_surveys;
DROP TRIGGER rollup_mark_insert ON referrals;
DROP TRIGGER rollup_mark_insert ON revenue_events;
DROP TRIGGER rollup_mark_insert ON journal_entries;
DROP TRIGGER rollup_mark_insert ON sla_breaches;
DROP TRIGGER rollup_mark_insert ON client_surveys;
DROP TRIGGER rollup_mark_delete ON referrals;
DROP TRIGGER rollup_mark_delete ON revenue_events;
DROP TRIGGER rollup_mark_delete ON journal_entries;
DROP TRIGGER rollup_mark_delete ON sla_breaches;
DROP TRIGGER rollup_mark_delete ON client_surveys;
DROP FUNCTION rollup_mark();
DROP TABLE partner_month_money;
DROP TABLE partner_months;
DROP TABLE rollup_dirty;
