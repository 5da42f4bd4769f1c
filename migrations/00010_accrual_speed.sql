-- Accrual at volume (BenchmarkAccrue: 100,000 client payments of a firm).
-- The ledger's guarantees are unchanged; what changes is when and how
-- often they are checked, and how a pending payment is found.
--
-- 1. Balanced entries. 00006 checks every entry at commit: one trigger
-- call, and one query, per entry. The application writes an entry and its
-- lines in one statement (internal/ledger/entries.go) and marks such
-- entries lines_in_statement; a statement-level trigger checks all of them
-- at once at the end of that statement, from its transition table: at
-- least two lines, numbered 1..n, summing to zero per currency. Any other
-- entry (the default: lines written by later statements of the
-- transaction) is still checked at commit by 00006's deferred trigger,
-- now limited to those. A line added later to an entry of either kind is
-- numbered above its first two and is still checked at commit (00006).
-- The mark is part of the append-only row: it can't change afterwards.
--
-- 2. Pending payments. 00006's partial index revenue_events_pending_idx
-- found them in payment order, but its predicate column made accrual's
-- status update (accrual_status, accrual_note, accrued_at) a non-HOT
-- update: a new version of the row in every index of revenue_events.
-- accrual_queue now lists them instead, kept by triggers: a payment is in
-- it exactly while its accrual_status is 'pending'. No index of
-- revenue_events covers the bookkeeping columns any more and its pages keep
-- room for the updated version (fillfactor), so the status update stays on
-- the page and touches no index. Accrual still locks the payments
-- themselves (FOR UPDATE SKIP LOCKED), as before.

-- +goose Up

-- 1. Balanced entries.
ALTER TABLE journal_entries ADD COLUMN lines_in_statement boolean NOT NULL DEFAULT false;

DROP TRIGGER journal_entries_balanced ON journal_entries;
CREATE CONSTRAINT TRIGGER journal_entries_balanced AFTER INSERT ON journal_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NOT NEW.lines_in_statement)
    EXECUTE FUNCTION journal_entry_balanced();

-- +goose StatementBegin
CREATE FUNCTION journal_entries_balanced_in_statement() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  -- One index probe per entry (a join would read the whole lines index).
  -- Per currency: the lines of an entry are almost always in one
  -- currency, whose sum must be zero; with several, each sum is checked.
  SELECT e.id, c.n, c.top INTO bad
    FROM journal_new_entries e
    CROSS JOIN LATERAL (SELECT count(*) AS n, coalesce(max(l.line_no), 0) AS top, sum(l.amount_cents) AS s,
                               min(l.currency) AS lo, max(l.currency) AS hi
                        FROM journal_lines l WHERE l.tenant_id = e.tenant_id AND l.entry_id = e.id) c
    WHERE e.lines_in_statement
      AND (c.n < 2 OR c.top <> c.n OR (c.lo = c.hi AND c.s <> 0)
           OR (c.lo <> c.hi AND EXISTS (SELECT FROM journal_lines l WHERE l.tenant_id = e.tenant_id AND l.entry_id = e.id
                                        GROUP BY l.currency HAVING sum(l.amount_cents) <> 0)))
    LIMIT 1;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF bad.n < 2 OR bad.top <> bad.n THEN
    RAISE EXCEPTION 'journal entry % has % line(s) numbered up to %; at least two, numbered 1..n, are required', bad.id, bad.n, bad.top
      USING ERRCODE = 'check_violation';
  END IF;
  RAISE EXCEPTION 'journal entry % does not balance: its lines must sum to zero per currency', bad.id
    USING ERRCODE = 'check_violation';
END
$$;
-- +goose StatementEnd

CREATE TRIGGER journal_entries_balanced_in_statement AFTER INSERT ON journal_entries
    REFERENCING NEW TABLE AS journal_new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION journal_entries_balanced_in_statement();

-- 2. Pending payments.
CREATE TABLE accrual_queue (
    tenant_id        uuid NOT NULL,
    paid_on          date NOT NULL,
    created_at       timestamptz NOT NULL,
    revenue_event_id uuid NOT NULL,
    -- Accrual splits the queue between its workers by partner.
    partner_id       uuid NOT NULL,
    -- Payment order, as accrual takes them (paid_on and created_at are
    -- facts of the payment: they never change).
    PRIMARY KEY (tenant_id, paid_on, created_at, revenue_event_id),
    FOREIGN KEY (tenant_id, revenue_event_id) REFERENCES revenue_events (tenant_id, id) ON DELETE CASCADE
);
ALTER TABLE accrual_queue ENABLE ROW LEVEL SECURITY;
ALTER TABLE accrual_queue FORCE ROW LEVEL SECURITY;
-- The firm's staff-side work only (a portal request sees no row), in one
-- condition on tenant_id: the planner then estimates the queue at the
-- firm's rows, and accrual reads it in payment order up to a batch. With a
-- separate app_partner_id() IS NULL test (guessed to keep 0.5% of the
-- rows) it sorted the whole queue for every batch.
CREATE POLICY tenant_rows ON accrual_queue
    USING (tenant_id = CASE WHEN app_partner_id() IS NULL THEN app_tenant_id() END)
    WITH CHECK (tenant_id = CASE WHEN app_partner_id() IS NULL THEN app_tenant_id() END);
GRANT SELECT, INSERT, DELETE ON accrual_queue TO allyway_app;

-- accrual_queue_sync keeps the queue equal to the pending payments: a
-- payment recorded (or set back) pending joins it, one leaving pending
-- leaves it. Statement-level: one INSERT and one DELETE per statement.
-- +goose StatementBegin
CREATE FUNCTION accrual_queue_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    DELETE FROM accrual_queue q USING accrual_changed c
      WHERE c.accrual_status <> 'pending' AND q.tenant_id = c.tenant_id AND q.paid_on = c.paid_on
        AND q.created_at = c.created_at AND q.revenue_event_id = c.id;
  END IF;
  INSERT INTO accrual_queue (tenant_id, paid_on, created_at, revenue_event_id, partner_id)
    SELECT tenant_id, paid_on, created_at, id, partner_id FROM accrual_changed WHERE accrual_status = 'pending'
    ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER accrual_queue_insert AFTER INSERT ON revenue_events REFERENCING NEW TABLE AS accrual_changed
    FOR EACH STATEMENT EXECUTE FUNCTION accrual_queue_sync();
CREATE TRIGGER accrual_queue_update AFTER UPDATE ON revenue_events REFERENCING NEW TABLE AS accrual_changed
    FOR EACH STATEMENT EXECUTE FUNCTION accrual_queue_sync();

INSERT INTO accrual_queue (tenant_id, paid_on, created_at, revenue_event_id, partner_id)
    SELECT tenant_id, paid_on, created_at, id, partner_id FROM revenue_events WHERE accrual_status = 'pending';
DROP INDEX revenue_events_pending_idx;
-- Room for one updated version of each row on its page (a payment's
-- bookkeeping changes once, pending to accrued, or a few times when it
-- waits for an agreement); applies to pages written from now on.
ALTER TABLE revenue_events SET (fillfactor = 50);

-- +goose Down
ALTER TABLE revenue_events RESET (fillfactor);
CREATE INDEX revenue_events_pending_idx ON revenue_events (tenant_id, paid_on, created_at, id)
    WHERE accrual_status = 'pending';
DROP TRIGGER accrual_queue_update ON revenue_events;
DROP TRIGGER accrual_queue_insert ON revenue_events;
DROP FUNCTION accrual_queue_sync();
DROP TABLE accrual_queue;
DROP TRIGGER journal_entries_balanced_in_statement ON journal_entries;
DROP FUNCTION journal_entries_balanced_in_statement();
DROP TRIGGER journal_entries_balanced ON journal_entries;
CREATE CONSTRAINT TRIGGER journal_entries_balanced AFTER INSERT ON journal_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_entry_balanced();
ALTER TABLE journal_entries DROP COLUMN lines_in_statement;
