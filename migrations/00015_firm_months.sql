-- The firm's months: partner_months and partner_month_money summed over
-- partners, for the program dashboard and the front page. At a million
-- referrals the largest firm has 100 partners × 36 months; summing them on
-- every view of the program dashboard was most of its database time
-- (readMonths 1.3 ms, open referrals 0.6 ms a view). rollup.recompute
-- rewrites the firm's rows whenever it recomputes any of its partners, in
-- the same transaction, so they always equal the sums of the partner rows
-- (checked in TestRebuildEqualsIncremental).

-- +goose Up
CREATE TABLE firm_months (
    tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    month             date NOT NULL CHECK (extract(day FROM month) = 1),
    received          bigint NOT NULL DEFAULT 0,
    reached_contacted bigint NOT NULL DEFAULT 0,
    reached_meeting   bigint NOT NULL DEFAULT 0,
    reached_proposal  bigint NOT NULL DEFAULT 0,
    reached_won       bigint NOT NULL DEFAULT 0,
    open_submitted    bigint NOT NULL DEFAULT 0,
    open_acknowledged bigint NOT NULL DEFAULT 0,
    open_contacted    bigint NOT NULL DEFAULT 0,
    open_meeting      bigint NOT NULL DEFAULT 0,
    open_proposal     bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, month)
);

CREATE TABLE firm_month_money (
    tenant_id               uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    month                   date NOT NULL CHECK (extract(day FROM month) = 1),
    currency                text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    revenue_received_cents  bigint NOT NULL DEFAULT 0,
    commission_earned_cents bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, month, currency)
);

-- The firm's staff read and write them; a portal request sees none (they
-- add up every partner's figures).
ALTER TABLE firm_months ENABLE ROW LEVEL SECURITY;
ALTER TABLE firm_months FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON firm_months
    USING (tenant_id = app_tenant_id() AND app_partner_id() IS NULL)
    WITH CHECK (tenant_id = app_tenant_id() AND app_partner_id() IS NULL);
ALTER TABLE firm_month_money ENABLE ROW LEVEL SECURITY;
ALTER TABLE firm_month_money FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON firm_month_money
    USING (tenant_id = app_tenant_id() AND app_partner_id() IS NULL)
    WITH CHECK (tenant_id = app_tenant_id() AND app_partner_id() IS NULL);
GRANT SELECT, INSERT, DELETE ON firm_months, firm_month_money TO allyway_app;

-- From the partner rows already there (the nightly rebuild would too).
INSERT INTO firm_months (tenant_id, month, received, reached_contacted, reached_meeting, reached_proposal, reached_won,
        open_submitted, open_acknowledged, open_contacted, open_meeting, open_proposal)
    SELECT tenant_id, month, sum(received), sum(reached_contacted), sum(reached_meeting), sum(reached_proposal),
        sum(reached_won), sum(open_submitted), sum(open_acknowledged), sum(open_contacted), sum(open_meeting),
        sum(open_proposal)
    FROM partner_months GROUP BY tenant_id, month;
INSERT INTO firm_month_money (tenant_id, month, currency, revenue_received_cents, commission_earned_cents)
    SELECT tenant_id, month, currency, sum(revenue_received_cents), sum(commission_earned_cents)
    FROM partner_month_money GROUP BY tenant_id, month, currency;

-- +goose Down
DROP TABLE firm_month_money, firm_months;
