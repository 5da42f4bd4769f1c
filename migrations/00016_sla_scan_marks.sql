-- The SLA scan looks only at what may have changed since its last run.
-- At a million referrals it checked every open referral's four clocks and
-- claim, every minute, for every firm: ~5 s of database time a minute, in
-- bursts that took pages at 300 requests/s from a p99 of ~15 ms to
-- 200–350 ms. A clock can only need a reminder, a breach or a lapse when
-- its due time (or the claim's expiry) is after the last scan, or when the
-- referral was written since (a clock met late, a referral closed, an
-- import with old dates). sla_scan_marks keeps each firm's last scan time;
-- the scan reads referrals written since it through referrals_updated_idx
-- and open referrals with a due time after it through
-- referrals_sla_latest_idx (the latest of the clocks' due times: any of
-- them after the mark makes the latest after it); claims that may lapse,
-- through referrals_open_claim_idx. (The claim is kept apart: it runs 90
-- days, so nearly every open referral's claim ends after the mark.)

-- +goose Up
CREATE TABLE sla_scan_marks (
    tenant_id  uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    scanned_at timestamptz NOT NULL
);
ALTER TABLE sla_scan_marks ENABLE ROW LEVEL SECURITY;
ALTER TABLE sla_scan_marks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON sla_scan_marks
    USING (tenant_id = app_tenant_id() AND app_partner_id() IS NULL)
    WITH CHECK (tenant_id = app_tenant_id() AND app_partner_id() IS NULL);
GRANT SELECT, INSERT, UPDATE ON sla_scan_marks TO allyway_app;

CREATE INDEX referrals_updated_idx ON referrals (tenant_id, updated_at);
CREATE INDEX referrals_sla_latest_idx ON referrals
    (tenant_id, greatest(first_response_due_at, first_contact_due_at, meeting_due_at, partner_response_due_at))
    WHERE closed_at IS NULL;
CREATE INDEX referrals_open_claim_idx ON referrals (tenant_id, claim_expires_at)
    WHERE closed_at IS NULL AND direction = 'inbound';

-- +goose Down
DROP INDEX referrals_open_claim_idx;
DROP INDEX referrals_sla_latest_idx;
DROP INDEX referrals_updated_idx;
DROP TABLE sla_scan_marks;
