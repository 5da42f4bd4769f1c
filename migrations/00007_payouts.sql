-- Commissions, step 3: review before payment, payouts (and, the other way,
-- invoices to partners for what they owe us), retroactive tier top-ups,
-- quarterly statements and partners' tax details. Conventions as in 00001.

-- +goose Up

-- The firm's minimum payout: smaller balances carry forward.
ALTER TABLE tenant_settings
    ADD COLUMN min_payout_cents bigint NOT NULL DEFAULT 0
        CHECK (min_payout_cents BETWEEN 0 AND 10000000000000);

-- Retroactive tiered_volume top-ups are accruals on the earlier payment
-- they top up, one per rate reached: top_up_bp is that rate (0 for an
-- ordinary accrual or reversal). The accrual key includes it.
-- A payout entry (kind 'payout') names the payout it records.
ALTER TABLE journal_entries
    ADD COLUMN top_up_bp bigint NOT NULL DEFAULT 0 CHECK (top_up_bp BETWEEN 0 AND 10000),
    ADD COLUMN payout_id uuid,
    ADD CONSTRAINT journal_entries_top_up_accrual CHECK (top_up_bp = 0 OR kind IN ('accrual', 'reversal')),
    ADD CONSTRAINT journal_entries_payout_has_id CHECK ((kind = 'payout') = (payout_id IS NOT NULL));
ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_tenant_id_revenue_event_id_rule_index_kind_key;
ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_accrual_key
    UNIQUE (tenant_id, revenue_event_id, rule_index, kind, top_up_bp);
CREATE UNIQUE INDEX journal_entries_payout_key ON journal_entries (tenant_id, payout_id) WHERE payout_id IS NOT NULL;

-- tiered_volume rules count a partner's won referrals of a period once per
-- payment (the credited partner, else the referring one): without this,
-- each count read all of the firm's referrals. The partner columns are
-- included, not keyed: under RLS a coalesce() condition is not used as an
-- index key (not leakproof), so the count reads the firm's won referrals
-- of the period from the index alone.
CREATE INDEX referrals_won_credited_idx ON referrals (tenant_id, closed_at)
    INCLUDE (credited_partner_id, partner_id, id) WHERE status = 'won';

-- Review before payment: an accrual (or a positive adjustment) is approved
-- or held with a reason before it can be paid. No row: not reviewed yet.
-- Deductions (reversals, negative adjustments) need no review.
CREATE TABLE entry_reviews (
    tenant_id   uuid NOT NULL,
    entry_id    uuid NOT NULL,
    partner_id  uuid NOT NULL,
    status      text NOT NULL CHECK (status IN ('approved', 'held')),
    reason      text NOT NULL DEFAULT '' CHECK (length(reason) <= 2000),
    reviewed_by uuid REFERENCES users (id) ON DELETE SET NULL,
    reviewed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, entry_id),
    FOREIGN KEY (tenant_id, entry_id) REFERENCES journal_entries (tenant_id, id) ON DELETE RESTRICT,
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id) ON DELETE RESTRICT,
    CHECK (status <> 'held' OR length(btrim(reason)) >= 1)
);
CREATE INDEX entry_reviews_partner_idx ON entry_reviews (tenant_id, partner_id);

-- A payout run: what was approved and due up to a date, for many partners,
-- in one currency and direction. we_pay: we pay partners; we_receive: we
-- invoice partners for what they owe us (paid = received).
CREATE TABLE payout_batches (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    number        integer NOT NULL CHECK (number >= 1),
    direction     text NOT NULL CHECK (direction IN ('we_pay', 'we_receive')),
    currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    up_to         date NOT NULL,
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'paid', 'cancelled')),
    note          text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    paid_on       date,
    reference     text CHECK (length(btrim(reference)) BETWEEN 1 AND 200),
    paid_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    paid_at       timestamptz,
    cancelled_at  timestamptz,
    cancel_reason text NOT NULL DEFAULT '' CHECK (length(cancel_reason) <= 2000),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, number),
    CHECK ((status = 'paid') = (paid_on IS NOT NULL AND paid_at IS NOT NULL AND reference IS NOT NULL)),
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
);

-- One partner's part of a batch: what the API calls a payout.
CREATE TABLE payouts (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    batch_id     uuid NOT NULL,
    -- The batch's number, repeated: the portal shows it and can't read batches.
    batch_number integer NOT NULL CHECK (batch_number >= 1),
    partner_id   uuid NOT NULL,
    direction    text NOT NULL CHECK (direction IN ('we_pay', 'we_receive')),
    currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    amount_cents bigint NOT NULL CHECK (amount_cents > 0),
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'cancelled')),
    paid_on      date,
    reference    text CHECK (length(btrim(reference)) BETWEEN 1 AND 200),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, batch_id, partner_id),
    FOREIGN KEY (tenant_id, batch_id) REFERENCES payout_batches (tenant_id, id) ON DELETE RESTRICT,
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id) ON DELETE RESTRICT,
    CHECK ((status = 'paid') = (paid_on IS NOT NULL AND reference IS NOT NULL))
);
CREATE INDEX payouts_partner_idx ON payouts (tenant_id, partner_id, created_at);

ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_payout_fk
    FOREIGN KEY (tenant_id, payout_id) REFERENCES payouts (tenant_id, id) ON DELETE RESTRICT;

-- The entries a payout settles. An entry is in one payout only: the
-- primary key, not a hope. A cancelled payout's items are deleted (its
-- entries become payable again); a paid payout's items never change.
CREATE TABLE payout_items (
    tenant_id    uuid NOT NULL,
    entry_id     uuid NOT NULL,
    payout_id    uuid NOT NULL,
    partner_id   uuid NOT NULL,
    amount_cents bigint NOT NULL CHECK (amount_cents <> 0),
    PRIMARY KEY (tenant_id, entry_id),
    FOREIGN KEY (tenant_id, entry_id) REFERENCES journal_entries (tenant_id, id) ON DELETE RESTRICT,
    FOREIGN KEY (tenant_id, payout_id) REFERENCES payouts (tenant_id, id) ON DELETE RESTRICT
);
CREATE INDEX payout_items_payout_idx ON payout_items (tenant_id, payout_id);

-- +goose StatementBegin
CREATE FUNCTION payout_items_fixed_when_paid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM payouts p WHERE p.tenant_id = OLD.tenant_id AND p.id = OLD.payout_id AND p.status = 'paid') THEN
    RAISE EXCEPTION 'payout % is paid: its items never change', OLD.payout_id USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER payout_items_fixed_when_paid BEFORE UPDATE OR DELETE ON payout_items
    FOR EACH ROW EXECUTE FUNCTION payout_items_fixed_when_paid();

-- A quarterly statement: generated (by the quarter-end job or on demand)
-- once per partner and quarter; figures is the snapshot that was sent.
CREATE TABLE statements (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    partner_id   uuid NOT NULL,
    period_start date NOT NULL,
    period_end   date NOT NULL,
    figures      jsonb NOT NULL,
    generated_at timestamptz NOT NULL DEFAULT now(),
    emailed_at   timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, partner_id, period_start),
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id) ON DELETE RESTRICT,
    CHECK (period_end > period_start)
);

-- A partner's tax details, for the yearly summary (US 1099-NEC). The tax
-- id is shown masked everywhere but the finance export.
CREATE TABLE partner_tax_details (
    tenant_id      uuid NOT NULL,
    partner_id     uuid NOT NULL,
    legal_name     text NOT NULL CHECK (length(btrim(legal_name)) BETWEEN 1 AND 200),
    classification text NOT NULL CHECK (classification IN ('individual', 'sole_proprietor', 'partnership',
                       'c_corporation', 's_corporation', 'llc', 'non_us', 'other')),
    country        text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    tax_id_kind    text NOT NULL CHECK (tax_id_kind IN ('ssn', 'ein', 'itin', 'vat', 'other')),
    tax_id         text NOT NULL CHECK (length(btrim(tax_id)) BETWEEN 4 AND 40),
    address        text NOT NULL DEFAULT '' CHECK (length(address) <= 500),
    form_on_file   text NOT NULL DEFAULT 'none' CHECK (form_on_file IN ('none', 'w9', 'w8ben', 'w8bene')),
    updated_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, partner_id),
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id) ON DELETE CASCADE
);

-- +goose StatementBegin
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['entry_reviews', 'payout_batches', 'payouts', 'payout_items', 'statements', 'partner_tax_details'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_rows ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
  END LOOP;
  -- A partner reads its own reviews, payouts, items and statements, and
  -- never writes them.
  FOREACH t IN ARRAY ARRAY['entry_reviews', 'payouts', 'payout_items', 'statements'] LOOP
    EXECUTE format('CREATE POLICY portal_partner ON %I AS RESTRICTIVE
      USING (app_partner_id() IS NULL OR partner_id = app_partner_id())
      WITH CHECK (app_partner_id() IS NULL)', t);
  END LOOP;
  -- Batches span partners: staff only.
  CREATE POLICY no_portal ON payout_batches AS RESTRICTIVE
    USING (app_partner_id() IS NULL) WITH CHECK (app_partner_id() IS NULL);
  -- A partner's admin keeps its own tax details.
  CREATE POLICY portal_partner ON partner_tax_details AS RESTRICTIVE
    USING (app_partner_id() IS NULL OR partner_id = app_partner_id())
    WITH CHECK (app_partner_id() IS NULL OR partner_id = app_partner_id());
END
$$;
-- +goose StatementEnd

GRANT SELECT, INSERT, UPDATE ON entry_reviews, payout_batches, payouts, statements, partner_tax_details TO allyway_app;
GRANT SELECT, INSERT, DELETE ON payout_items TO allyway_app;

-- +goose Down
DROP INDEX referrals_won_credited_idx;
DROP TABLE partner_tax_details;
DROP TABLE statements;
DROP TABLE payout_items;
DROP FUNCTION payout_items_fixed_when_paid();
ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_payout_fk;
DROP TABLE payouts;
DROP TABLE payout_batches;
DROP TABLE entry_reviews;
DROP INDEX journal_entries_payout_key;
ALTER TABLE journal_entries DROP CONSTRAINT journal_entries_accrual_key;
ALTER TABLE journal_entries ADD CONSTRAINT journal_entries_tenant_id_revenue_event_id_rule_index_kind_key
    UNIQUE (tenant_id, revenue_event_id, rule_index, kind);
ALTER TABLE journal_entries DROP COLUMN payout_id, DROP COLUMN top_up_bp;
ALTER TABLE tenant_settings DROP COLUMN min_payout_cents;
