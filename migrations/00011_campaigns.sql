-- Co-marketing: campaigns run jointly with one or more partners (webinars,
-- co-authored content, email campaigns, events, research, newsletters),
-- who does what, each side's audience, the lead rules agreed up front, and
-- the leads they bring, which may turn into referrals (referrals.campaign_id).
-- Conventions as in 00001.

-- +goose Up

CREATE TABLE campaigns (
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    name            text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    kind            text NOT NULL CHECK (kind IN ('webinar', 'co_content', 'email_campaign', 'event', 'research', 'newsletter')),
    status          text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'active', 'completed', 'cancelled')),
    starts_on       date NOT NULL,
    ends_on         date CHECK (ends_on IS NULL OR ends_on >= starts_on),
    description     text NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
    -- Our own audience (list size, followers) and the estimated overlap of
    -- all the audiences, in basis points: reach = sum × (1 − overlap).
    our_audience    integer NOT NULL DEFAULT 0 CHECK (our_audience BETWEEN 0 AND 100000000),
    overlap_bp      integer NOT NULL DEFAULT 0 CHECK (overlap_bp BETWEEN 0 AND 10000),
    -- Who follows up on which lead, agreed before the campaign.
    lead_rule       text NOT NULL DEFAULT 'existing_clients_keep'
                    CHECK (lead_rule IN ('existing_clients_keep', 'round_robin', 'owner_manual')),
    lead_rules_note text NOT NULL DEFAULT '' CHECK (length(lead_rules_note) <= 2000),
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX campaigns_starts_idx ON campaigns (tenant_id, starts_on DESC, id);

-- The partners of a campaign and each one's audience.
CREATE TABLE campaign_partners (
    tenant_id   uuid NOT NULL,
    campaign_id uuid NOT NULL,
    partner_id  uuid NOT NULL,
    audience    integer NOT NULL DEFAULT 0 CHECK (audience BETWEEN 0 AND 100000000),
    position    integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, campaign_id, partner_id),
    FOREIGN KEY (tenant_id, campaign_id) REFERENCES campaigns (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, partner_id) REFERENCES partners (tenant_id, id) ON DELETE RESTRICT
);
CREATE INDEX campaign_partners_partner_idx ON campaign_partners (tenant_id, partner_id);

-- Who does what: logistics, promotion, content; owned by us (no partner)
-- or by one of the campaign's partners.
CREATE TABLE campaign_responsibilities (
    tenant_id        uuid NOT NULL,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    campaign_id      uuid NOT NULL,
    position         integer NOT NULL DEFAULT 0,
    task             text NOT NULL CHECK (task IN ('logistics', 'promotion', 'content', 'other')),
    owner_partner_id uuid,
    note             text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, campaign_id) REFERENCES campaigns (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, campaign_id, owner_partner_id)
        REFERENCES campaign_partners (tenant_id, campaign_id, partner_id) ON DELETE CASCADE
);
CREATE INDEX campaign_responsibilities_campaign_idx ON campaign_responsibilities (tenant_id, campaign_id, position);

-- A registrant or attendee. owner_partner_id: the campaign partner that
-- follows up (NULL: we do). A converted lead links the referral it became.
CREATE TABLE campaign_leads (
    tenant_id        uuid NOT NULL,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    campaign_id      uuid NOT NULL,
    name             text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    -- Normalised (lower case, trimmed), '' when unknown.
    email            text NOT NULL DEFAULT '' CHECK (email = lower(btrim(email)) AND length(email) <= 320),
    company          text NOT NULL DEFAULT '' CHECK (length(company) <= 200),
    title            text NOT NULL DEFAULT '' CHECK (length(title) <= 200),
    consent          boolean,
    notes            text NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
    owner_partner_id uuid,
    status           text NOT NULL DEFAULT 'new'
                     CHECK (status IN ('new', 'contacted', 'qualified', 'converted', 'not_interested')),
    referral_id      uuid,
    source           text NOT NULL DEFAULT 'staff' CHECK (source IN ('staff', 'import', 'portal', 'api')),
    created_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    -- clock_timestamp(): the rows of one import keep the file's order.
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, campaign_id) REFERENCES campaigns (tenant_id, id) ON DELETE CASCADE,
    -- The owner is one of the campaign's partners (a partner owning leads
    -- can't be taken off the campaign).
    FOREIGN KEY (tenant_id, campaign_id, owner_partner_id)
        REFERENCES campaign_partners (tenant_id, campaign_id, partner_id) ON DELETE RESTRICT,
    FOREIGN KEY (tenant_id, referral_id) REFERENCES referrals (tenant_id, id) ON DELETE RESTRICT,
    CHECK ((status = 'converted') = (referral_id IS NOT NULL))
);
CREATE INDEX campaign_leads_campaign_idx ON campaign_leads (tenant_id, campaign_id, created_at, id);
CREATE UNIQUE INDEX campaign_leads_email_key ON campaign_leads (tenant_id, campaign_id, email) WHERE email <> '';
CREATE UNIQUE INDEX campaign_leads_referral_key ON campaign_leads (tenant_id, referral_id) WHERE referral_id IS NOT NULL;

-- A referral that came out of a campaign counts as a normal referral in
-- the scorecards; the campaign page counts it too.
ALTER TABLE referrals ADD COLUMN campaign_id uuid,
    ADD FOREIGN KEY (tenant_id, campaign_id) REFERENCES campaigns (tenant_id, id) ON DELETE SET NULL (campaign_id);
CREATE INDEX referrals_campaign_idx ON referrals (tenant_id, campaign_id) WHERE campaign_id IS NOT NULL;

-- +goose StatementBegin
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['campaigns', 'campaign_partners', 'campaign_responsibilities', 'campaign_leads'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_rows ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
  END LOOP;
  -- A partner reads its own membership of campaigns (not the other
  -- partners' audiences) and writes none.
  CREATE POLICY portal_partner ON campaign_partners AS RESTRICTIVE
    USING (app_partner_id() IS NULL OR partner_id = app_partner_id())
    WITH CHECK (app_partner_id() IS NULL);
  -- A partner reads the campaigns it is in and their responsibilities, and
  -- changes neither.
  FOREACH t IN ARRAY ARRAY['campaigns', 'campaign_responsibilities'] LOOP
    EXECUTE format('CREATE POLICY portal_partner ON %I AS RESTRICTIVE
      USING (app_partner_id() IS NULL OR EXISTS (SELECT 1 FROM campaign_partners cp
        WHERE cp.tenant_id = %I.tenant_id AND cp.campaign_id = %I.%I AND cp.partner_id = app_partner_id()))
      WITH CHECK (app_partner_id() IS NULL)', t, t, t, CASE t WHEN 'campaigns' THEN 'id' ELSE 'campaign_id' END);
  END LOOP;
  -- Both firms have equal access to a campaign's leads: a partner reads
  -- every lead of the campaigns it is in, and adds or updates leads only
  -- as their owner (taking a lead over, or following up its own).
  CREATE POLICY portal_partner ON campaign_leads AS RESTRICTIVE
    USING (app_partner_id() IS NULL OR EXISTS (SELECT 1 FROM campaign_partners cp
      WHERE cp.tenant_id = campaign_leads.tenant_id AND cp.campaign_id = campaign_leads.campaign_id
        AND cp.partner_id = app_partner_id()))
    WITH CHECK (app_partner_id() IS NULL OR owner_partner_id = app_partner_id());
  -- Nothing of a campaign is deleted from the portal.
  FOREACH t IN ARRAY ARRAY['campaigns', 'campaign_partners', 'campaign_responsibilities', 'campaign_leads'] LOOP
    EXECUTE format('CREATE POLICY portal_no_delete ON %I AS RESTRICTIVE FOR DELETE USING (app_partner_id() IS NULL)', t);
  END LOOP;
END
$$;
-- +goose StatementEnd

GRANT SELECT, INSERT, UPDATE, DELETE ON campaigns, campaign_partners, campaign_responsibilities TO allyway_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON campaign_leads TO allyway_app;

-- +goose Down
DROP INDEX referrals_campaign_idx;
ALTER TABLE referrals DROP COLUMN campaign_id;
-- One statement: the campaigns' portal policy reads campaign_partners.
DROP TABLE campaign_leads, campaign_responsibilities, campaign_partners, campaigns;
