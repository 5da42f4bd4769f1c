-- JSON API v1: idempotency keys, and the index the API's partner list pages
-- through.
--
-- A create request that carries an Idempotency-Key stores its response here,
-- in the same transaction as the thing it created: a retry with the same key
-- and body gets that response again and creates nothing; the same key with
-- another body is refused (409). Only successful responses are stored (a
-- request that failed changed nothing, so retrying it is safe anyway). A key
-- is remembered for 24 hours (internal/server/api_idempotency.go).

-- +goose Up

CREATE TABLE api_idempotency (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    method       text,
    path         text,
    request_hash bytea NOT NULL,
    status       int NOT NULL,
    body         bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key)
);
CREATE INDEX api_idempotency_created_idx ON api_idempotency (tenant_id, created_at);

ALTER TABLE api_idempotency ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_idempotency FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON api_idempotency
    USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
CREATE POLICY no_portal ON api_idempotency AS RESTRICTIVE
    USING (app_partner_id() IS NULL) WITH CHECK (app_partner_id() IS NULL);

GRANT SELECT, INSERT, DELETE ON api_idempotency TO allyway_app;

-- API lists page through a firm's rows in (created_at, id) order.
CREATE INDEX partners_api_page_idx ON partners (tenant_id, created_at, id);

-- +goose Down
DROP INDEX partners_api_page_idx;
REVOKE ALL ON api_idempotency FROM allyway_app;
DROP TABLE api_idempotency;
