-- CSV imports (issue 8): the one flow every import shares keeps the
-- uploaded file here between its preview and its confirmation, so the
-- confirmation never trusts what the browser sends back. A batch is
-- confirmed once (confirmed_at) and expires a day after its upload; the
-- file is re-read and re-validated inside the confirming transaction.

-- +goose Up

CREATE TABLE import_batches (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    kind         text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_-]{0,39}$'),
    created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    filename     text NOT NULL DEFAULT '' CHECK (length(filename) <= 300),
    data         bytea NOT NULL CHECK (octet_length(data) BETWEEN 1 AND 6000000),
    plan_hash    text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL DEFAULT now() + interval '1 day',
    confirmed_at timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX import_batches_expires_idx ON import_batches (expires_at);

ALTER TABLE import_batches ENABLE ROW LEVEL SECURITY;
ALTER TABLE import_batches FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON import_batches USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
-- Staff only: partners never see the firm's uploads.
CREATE POLICY no_portal ON import_batches AS RESTRICTIVE
    USING (app_partner_id() IS NULL) WITH CHECK (app_partner_id() IS NULL);

GRANT SELECT, INSERT, UPDATE, DELETE ON import_batches TO allyway_app;

-- +goose Down
DROP TABLE import_batches;
