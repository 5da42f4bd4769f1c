-- Foundation: firms (tenants), people (users), memberships, invitations, API
-- tokens, audit log, sessions and the email outbox.
--
-- Conventions every later migration follows:
--   * A tenant-owned table has tenant_id first in its primary key, in every
--     foreign key to another tenant-owned table and in every unique
--     constraint, and is under ROW LEVEL SECURITY ... FORCE with a policy on
--     app_tenant_id(). An unset or empty app.tenant_id matches no row.
--   * Tables a partner-portal request may touch also carry a RESTRICTIVE
--     policy on app_partner_id(): when a portal request sets app.partner_id
--     it only ever sees that partner's rows.
--   * The application connects as allyway_app, which owns nothing and gets
--     exactly the privileges granted here (created by `allyway migrate up`
--     before this runs).

-- +goose Up

-- +goose StatementBegin
CREATE FUNCTION app_tenant_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION app_partner_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT NULLIF(current_setting('app.partner_id', true), '')::uuid
$$;
-- +goose StatementEnd

-- app_user_id is set only by identity-scoped work (login, "where to go"),
-- never together with a tenant: it lets a person see their own memberships
-- across firms and nothing else.
-- +goose StatementBegin
CREATE FUNCTION app_user_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT NULLIF(current_setting('app.user_id', true), '')::uuid
$$;
-- +goose StatementEnd

-- Global: a firm. Its slug is public (it is in every URL).
CREATE TABLE tenants (
    id                uuid PRIMARY KEY,
    slug              text NOT NULL UNIQUE
                      CHECK (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$'),
    name              text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    require_admin_2fa boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now()
);

-- Global: a person. One identity across firms and portals.
CREATE TABLE users (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email               text NOT NULL CHECK (email = lower(btrim(email)) AND email LIKE '%_@_%'),
    name                text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    password_hash       text,
    totp_secret         text,
    totp_pending_secret text,
    totp_enabled_at     timestamptz,
    totp_last_step      bigint NOT NULL DEFAULT 0,
    disabled_at         timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (email);

CREATE TABLE user_recovery_codes (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE password_resets (
    token_hash bytea PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX password_resets_user_idx ON password_resets (user_id);

-- scs session store (github.com/alexedwards/scs/pgxstore).
CREATE TABLE sessions (
    token  text PRIMARY KEY,
    data   bytea NOT NULL,
    expiry timestamptz NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

-- Our own user -> session index, so logout, password change and disabling a
-- user can end every session of that user.
CREATE TABLE user_sessions (
    token      text PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id);

-- Devices that have logged in successfully before. A device cookie lets its
-- owner past the per-account failure cap, so an attacker who burns an
-- account's budget cannot lock the real user out.
CREATE TABLE known_devices (
    token_hash   bytea PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX known_devices_user_idx ON known_devices (user_id);

CREATE TABLE login_attempts (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email   text NOT NULL,
    ip      text NOT NULL,
    success boolean NOT NULL,
    at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_email_idx ON login_attempts (email, at);
CREATE INDEX login_attempts_ip_idx ON login_attempts (ip, at);

-- Email outbox: a row per message, written in the transaction that causes it
-- and sent by a background job.
CREATE TABLE email_outbox (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    to_addr    text NOT NULL,
    subject    text NOT NULL,
    text_body  text NOT NULL,
    html_body  text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz,
    transport  text,
    attempts   integer NOT NULL DEFAULT 0,
    last_error text
);
CREATE INDEX email_outbox_created_idx ON email_outbox (created_at DESC);

-- Tenant-owned tables ------------------------------------------------------

CREATE TABLE staff_memberships (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('owner', 'admin', 'manager', 'finance', 'viewer')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX staff_memberships_user_idx ON staff_memberships (user_id);

-- A minimal partner firm; the partners issue grows it.
CREATE TABLE partners (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    name       text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    domain     text,
    type       text NOT NULL DEFAULT 'referral'
               CHECK (type IN ('referral', 'delivery', 'alliance', 'technology', 'channel')),
    status     text NOT NULL DEFAULT 'prospect'
               CHECK (status IN ('prospect', 'qualifying', 'onboarding', 'active', 'paused', 'inactive', 'ended')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE portal_memberships (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    partner_id uuid NOT NULL,
    role       text NOT NULL CHECK (role IN ('partner_admin', 'partner_member')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id),
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX portal_memberships_user_idx ON portal_memberships (user_id);
CREATE INDEX portal_memberships_partner_idx ON portal_memberships (tenant_id, partner_id);

CREATE TABLE invitations (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    email       text NOT NULL CHECK (email = lower(btrim(email))),
    kind        text NOT NULL CHECK (kind IN ('staff', 'portal')),
    role        text NOT NULL,
    partner_id  uuid,
    token_hash  bytea NOT NULL,
    invited_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    expires_at  timestamptz NOT NULL,
    accepted_at timestamptz,
    revoked_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id) ON DELETE CASCADE,
    CHECK ((kind = 'staff' AND partner_id IS NULL AND role IN ('owner', 'admin', 'manager', 'finance', 'viewer'))
        OR (kind = 'portal' AND partner_id IS NOT NULL AND role IN ('partner_admin', 'partner_member')))
);

CREATE TABLE api_tokens (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    name         text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    role         text NOT NULL CHECK (role IN ('admin', 'manager', 'finance', 'viewer')),
    token_hash   bytea NOT NULL,
    created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash)
);

-- Append-only: the app role may insert and read, never change or remove.
CREATE TABLE audit_log (
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             bigint GENERATED ALWAYS AS IDENTITY,
    at             timestamptz NOT NULL DEFAULT now(),
    actor_user_id  uuid,
    actor_token_id uuid,
    action         text NOT NULL,
    target_type    text NOT NULL DEFAULT '',
    target_id      text NOT NULL DEFAULT '',
    detail         jsonb NOT NULL DEFAULT '{}'::jsonb,
    ip             text NOT NULL DEFAULT '',
    request_id     text NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_log_at_idx ON audit_log (tenant_id, at DESC);

-- +goose StatementBegin
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Row-level security --------------------------------------------------------

ALTER TABLE staff_memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE staff_memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON staff_memberships
    USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
CREATE POLICY own_rows ON staff_memberships FOR SELECT
    USING (user_id = app_user_id() AND app_tenant_id() IS NULL);

ALTER TABLE partners ENABLE ROW LEVEL SECURITY;
ALTER TABLE partners FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON partners
    USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
CREATE POLICY portal_partner ON partners AS RESTRICTIVE
    USING (app_partner_id() IS NULL OR id = app_partner_id())
    WITH CHECK (app_partner_id() IS NULL OR id = app_partner_id());

ALTER TABLE portal_memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE portal_memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON portal_memberships
    USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
CREATE POLICY own_rows ON portal_memberships FOR SELECT
    USING (user_id = app_user_id() AND app_tenant_id() IS NULL);
CREATE POLICY portal_partner ON portal_memberships AS RESTRICTIVE
    USING (app_partner_id() IS NULL OR partner_id = app_partner_id())
    WITH CHECK (app_partner_id() IS NULL OR partner_id = app_partner_id());

ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON invitations
    USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
CREATE POLICY portal_partner ON invitations AS RESTRICTIVE
    USING (app_partner_id() IS NULL OR partner_id = app_partner_id())
    WITH CHECK (app_partner_id() IS NULL OR partner_id = app_partner_id());

ALTER TABLE api_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON api_tokens
    USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());
CREATE POLICY no_portal ON api_tokens AS RESTRICTIVE
    USING (app_partner_id() IS NULL) WITH CHECK (app_partner_id() IS NULL);

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON audit_log
    USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id());

-- Privileges for the application role -------------------------------------

GRANT USAGE ON SCHEMA public TO allyway_app;
GRANT SELECT ON goose_db_version TO allyway_app;
GRANT SELECT, INSERT, UPDATE ON tenants TO allyway_app;
GRANT SELECT, INSERT, UPDATE ON users TO allyway_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON user_recovery_codes, password_resets,
    sessions, user_sessions, known_devices, login_attempts TO allyway_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON email_outbox TO allyway_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON staff_memberships, partners,
    portal_memberships, invitations, api_tokens TO allyway_app;
GRANT SELECT, INSERT ON audit_log TO allyway_app;

-- +goose Down
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM allyway_app;
REVOKE USAGE ON SCHEMA public FROM allyway_app;
DROP TABLE audit_log;
DROP FUNCTION refuse_change();
DROP TABLE api_tokens;
DROP TABLE invitations;
DROP TABLE portal_memberships;
DROP TABLE partners;
DROP TABLE staff_memberships;
DROP TABLE email_outbox;
DROP TABLE login_attempts;
DROP TABLE known_devices;
DROP TABLE user_sessions;
DROP TABLE sessions;
DROP TABLE password_resets;
DROP TABLE user_recovery_codes;
DROP TABLE users;
DROP TABLE tenants;
DROP FUNCTION app_user_id();
DROP FUNCTION app_partner_id();
DROP FUNCTION app_tenant_id();
