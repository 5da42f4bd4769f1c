-- Per-token rate limits of the JSON API (issue 8), shared by every app
-- process: a fixed window per token, one row per token, counted by one
-- UPSERT per request (internal/server/api_ratelimit.go).
--
-- UNLOGGED: a count lost in a crash only lets a token make a few more
-- requests in the current minute, and skipping the WAL keeps the one write
-- every API request makes cheap. The row of a token is rewritten in place
-- when its window changes, so the table holds one row per token that has
-- ever called the API and never needs sweeping; revoking a token keeps its
-- row, deleting it (or the firm) removes it.

-- +goose Up

CREATE UNLOGGED TABLE api_rate_limits (
    tenant_id    uuid NOT NULL,
    token_id     uuid NOT NULL,
    -- The start of the token's current window (the database's clock, so
    -- every app process agrees on it).
    window_start timestamptz NOT NULL,
    requests     integer NOT NULL CHECK (requests >= 0),
    PRIMARY KEY (tenant_id, token_id),
    FOREIGN KEY (tenant_id, token_id) REFERENCES api_tokens (tenant_id, id) ON DELETE CASCADE
) WITH (fillfactor = 50);

ALTER TABLE api_rate_limits ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_rate_limits FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON api_rate_limits
    USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
-- API tokens are the firm's staff's business: a portal request sees none.
CREATE POLICY no_portal ON api_rate_limits AS RESTRICTIVE
    USING (app_partner_id() IS NULL) WITH CHECK (app_partner_id() IS NULL);

GRANT SELECT, INSERT, UPDATE ON api_rate_limits TO allyway_app;

-- +goose Down
DROP TABLE api_rate_limits;
