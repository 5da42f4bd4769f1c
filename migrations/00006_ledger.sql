-- Commissions, step 2: client payments (revenue events) and the
-- double-entry, append-only commission ledger. Conventions as in 00001.
--
-- Sign convention of journal_lines.amount_cents: debit positive, credit
-- negative; an entry's lines sum to zero per currency (checked at commit).
-- journal_entries.amount_cents is the entry's effect on the partner's
-- balance in its direction: accrual > 0, reversal < 0, payout < 0,
-- adjustment ≠ 0.

-- +goose Up

-- A client payment on an engagement (negative: a refund or credit note).
-- The facts are append-only; only the accrual bookkeeping columns change.
CREATE TABLE revenue_events (
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             uuid NOT NULL DEFAULT gen_random_uuid(),
    engagement_id  uuid NOT NULL,
    referral_id    uuid NOT NULL,
    -- The partner credited with the referral when the payment was recorded.
    partner_id     uuid NOT NULL,
    amount_cents   bigint NOT NULL CHECK (amount_cents <> 0
                       AND amount_cents BETWEEN -1000000000000000 AND 1000000000000000),
    currency       text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    paid_on        date NOT NULL,
    -- For a refund: the payment it refunds, when known.
    refund_of_id   uuid,
    external_ref   text CHECK (length(btrim(external_ref)) BETWEEN 1 AND 200),
    note           text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    source         text NOT NULL CHECK (source IN ('staff', 'api', 'import')),
    created_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    -- Accrual bookkeeping (the only columns the app may update).
    accrual_status text NOT NULL DEFAULT 'pending'
                   CHECK (accrual_status IN ('pending', 'accrued', 'no_agreement', 'nothing_due')),
    accrual_note   text NOT NULL DEFAULT '',
    accrued_at     timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, engagement_id) REFERENCES engagements (tenant_id, id) ON DELETE RESTRICT,
    FOREIGN KEY (tenant_id, referral_id) REFERENCES referrals (tenant_id, id) ON DELETE RESTRICT,
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id) ON DELETE RESTRICT,
    FOREIGN KEY (tenant_id, refund_of_id) REFERENCES revenue_events (tenant_id, id) ON DELETE RESTRICT,
    CHECK (refund_of_id IS NULL OR amount_cents < 0),
    CHECK ((accrual_status = 'pending') = (accrued_at IS NULL))
);
CREATE UNIQUE INDEX revenue_events_external_ref_key ON revenue_events (tenant_id, external_ref)
    WHERE external_ref IS NOT NULL;
CREATE INDEX revenue_events_engagement_idx ON revenue_events (tenant_id, engagement_id, paid_on);
CREATE INDEX revenue_events_referral_idx ON revenue_events (tenant_id, referral_id, paid_on);
CREATE INDEX revenue_events_partner_idx ON revenue_events (tenant_id, partner_id, paid_on);
CREATE INDEX revenue_events_pending_idx ON revenue_events (tenant_id, paid_on, created_at, id)
    WHERE accrual_status = 'pending';

-- One ledger entry. Append-only: a correction is a new entry.
-- Foreign keys are kept to what traceability needs (the partner, the
-- revenue event, the agreement version): referral_id and engagement_id are
-- copied from the revenue event, whose own keys guarantee them, and the
-- tenant is implied by the partner. Each key costs a lookup per row on the
-- accrual path (see BenchmarkAccrue).
CREATE TABLE journal_entries (
    tenant_id        uuid NOT NULL,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    kind             text NOT NULL CHECK (kind IN ('accrual', 'reversal', 'adjustment', 'payout')),
    partner_id       uuid NOT NULL,
    referral_id      uuid,
    engagement_id    uuid,
    revenue_event_id uuid,
    agreement_id     uuid,
    -- The rule's position in the agreement version's rules[] and the rule
    -- as it was applied.
    rule_index       integer CHECK (rule_index >= 0),
    rule             jsonb,
    direction        text NOT NULL CHECK (direction IN ('we_pay', 'we_receive')),
    amount_cents     bigint NOT NULL CHECK (amount_cents <> 0),
    currency         text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    rate_bp          bigint,
    due_on           date,
    explanation      text NOT NULL DEFAULT '',
    reason           text NOT NULL DEFAULT '',
    created_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    -- Accrual is idempotent per (revenue event, rule).
    UNIQUE (tenant_id, revenue_event_id, rule_index, kind),
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id) ON DELETE RESTRICT,
    FOREIGN KEY (tenant_id, revenue_event_id) REFERENCES revenue_events (tenant_id, id) ON DELETE RESTRICT,
    FOREIGN KEY (tenant_id, agreement_id) REFERENCES agreements (tenant_id, id) ON DELETE RESTRICT,
    CHECK (kind <> 'accrual' OR amount_cents > 0),
    CHECK (kind <> 'reversal' OR amount_cents < 0),
    CHECK (kind <> 'payout' OR amount_cents < 0),
    CHECK (kind <> 'adjustment' OR length(btrim(reason)) BETWEEN 1 AND 2000),
    CHECK (kind NOT IN ('accrual', 'reversal')
           OR (revenue_event_id IS NOT NULL AND rule_index IS NOT NULL AND agreement_id IS NOT NULL AND rule IS NOT NULL))
);
CREATE INDEX journal_entries_partner_idx ON journal_entries (tenant_id, partner_id, created_at);
CREATE INDEX journal_entries_referral_idx ON journal_entries (tenant_id, referral_id, agreement_id, rule_index);

-- An entry's lines: debit positive, credit negative, numbered 1..n. The
-- entry's key implies the tenant; partner_id repeats the entry's partner on
-- the partner's account line (Reconcile checks it), without a key of its own.
CREATE TABLE journal_lines (
    tenant_id    uuid NOT NULL,
    entry_id     uuid NOT NULL,
    line_no      smallint NOT NULL CHECK (line_no >= 1),
    account      text NOT NULL CHECK (account IN ('commission_expense', 'partner_payable',
                     'commission_income', 'partner_receivable', 'cash')),
    partner_id   uuid,
    amount_cents bigint NOT NULL CHECK (amount_cents <> 0),
    currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    PRIMARY KEY (tenant_id, entry_id, line_no),
    FOREIGN KEY (tenant_id, entry_id) REFERENCES journal_entries (tenant_id, id) ON DELETE RESTRICT,
    CHECK ((account IN ('partner_payable', 'partner_receivable')) = (partner_id IS NOT NULL))
);
CREATE INDEX journal_lines_partner_idx ON journal_lines (tenant_id, partner_id, account) WHERE partner_id IS NOT NULL;

-- journal_entry_balanced refuses a commit where an entry's lines do not
-- sum to zero per currency, are fewer than two, or are not numbered 1..n.
-- Deferred: an entry and its lines may be inserted one by one in the same
-- transaction and are checked at commit, once per entry. A line added
-- later to a committed entry has a number above its two or more lines
-- (line_no is part of the key and lines are 1..n), so the lines trigger
-- only fires for line_no > 2 and checks that entry again.
-- +goose StatementBegin
CREATE FUNCTION journal_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  entry uuid;
  n bigint;
  top integer;
  unbalanced bigint;
BEGIN
  IF TG_TABLE_NAME = 'journal_entries' THEN
    entry := NEW.id;
  ELSE
    entry := NEW.entry_id;
  END IF;
  SELECT coalesce(sum(c), 0), coalesce(max(m), 0), count(*) FILTER (WHERE s <> 0) INTO n, top, unbalanced
    FROM (SELECT count(*) AS c, max(line_no) AS m, sum(amount_cents) AS s FROM journal_lines
          WHERE tenant_id = NEW.tenant_id AND entry_id = entry GROUP BY currency) per_currency;
  IF n < 2 OR top <> n THEN
    RAISE EXCEPTION 'journal entry % has % line(s) numbered up to %; at least two, numbered 1..n, are required', entry, n, top
      USING ERRCODE = 'check_violation';
  END IF;
  IF unbalanced > 0 THEN
    RAISE EXCEPTION 'journal entry % does not balance: its lines must sum to zero per currency', entry
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE CONSTRAINT TRIGGER journal_entries_balanced AFTER INSERT ON journal_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_entry_balanced();
CREATE CONSTRAINT TRIGGER journal_lines_balanced AFTER INSERT ON journal_lines
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.line_no > 2) EXECUTE FUNCTION journal_entry_balanced();

CREATE TRIGGER journal_entries_append_only BEFORE UPDATE OR DELETE ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER journal_lines_append_only BEFORE UPDATE OR DELETE ON journal_lines
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
-- The facts of a payment never change; only the accrual bookkeeping does.
-- +goose StatementBegin
CREATE FUNCTION revenue_event_facts_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'revenue_events is append-only: DELETE refused' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF (NEW.tenant_id, NEW.id, NEW.engagement_id, NEW.referral_id, NEW.partner_id, NEW.amount_cents, NEW.currency,
      NEW.paid_on, NEW.refund_of_id, NEW.external_ref, NEW.note, NEW.source, NEW.created_by, NEW.created_at)
     IS DISTINCT FROM
     (OLD.tenant_id, OLD.id, OLD.engagement_id, OLD.referral_id, OLD.partner_id, OLD.amount_cents, OLD.currency,
      OLD.paid_on, OLD.refund_of_id, OLD.external_ref, OLD.note, OLD.source, OLD.created_by, OLD.created_at) THEN
    RAISE EXCEPTION 'revenue_events facts are append-only: UPDATE refused' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;
-- +goose StatementEnd
-- The UPDATE trigger's WHEN clause is evaluated without calling the
-- function, so accrual's bookkeeping updates (facts unchanged) cost no
-- PL/pgSQL call per row; a change of any fact still reaches the function.
CREATE TRIGGER revenue_events_facts_fixed BEFORE UPDATE ON revenue_events
    FOR EACH ROW
    WHEN ((NEW.tenant_id, NEW.id, NEW.engagement_id, NEW.referral_id, NEW.partner_id, NEW.amount_cents, NEW.currency,
           NEW.paid_on, NEW.refund_of_id, NEW.external_ref, NEW.note, NEW.source, NEW.created_by, NEW.created_at)
          IS DISTINCT FROM
          (OLD.tenant_id, OLD.id, OLD.engagement_id, OLD.referral_id, OLD.partner_id, OLD.amount_cents, OLD.currency,
           OLD.paid_on, OLD.refund_of_id, OLD.external_ref, OLD.note, OLD.source, OLD.created_by, OLD.created_at))
    EXECUTE FUNCTION revenue_event_facts_fixed();
CREATE TRIGGER revenue_events_no_delete BEFORE DELETE ON revenue_events
    FOR EACH ROW EXECUTE FUNCTION revenue_event_facts_fixed();

-- +goose StatementBegin
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['revenue_events', 'journal_entries', 'journal_lines'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_rows ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
  END LOOP;
  -- A partner reads its own payments and commissions, never writes them.
  FOREACH t IN ARRAY ARRAY['revenue_events', 'journal_entries'] LOOP
    EXECUTE format('CREATE POLICY portal_partner ON %I AS RESTRICTIVE
      USING (app_partner_id() IS NULL OR partner_id = app_partner_id())
      WITH CHECK (app_partner_id() IS NULL)', t);
  END LOOP;
  -- The portal shows entries (amount, rule, explanation), not their lines.
  CREATE POLICY no_portal ON journal_lines AS RESTRICTIVE
    USING (app_partner_id() IS NULL) WITH CHECK (app_partner_id() IS NULL);
END
$$;
-- +goose StatementEnd

GRANT SELECT, INSERT ON revenue_events, journal_entries, journal_lines TO allyway_app;
GRANT UPDATE (accrual_status, accrual_note, accrued_at) ON revenue_events TO allyway_app;

-- +goose Down
DROP TABLE journal_lines;
DROP TABLE journal_entries;
DROP TABLE revenue_events;
DROP FUNCTION revenue_event_facts_fixed();
DROP FUNCTION journal_entry_balanced();
