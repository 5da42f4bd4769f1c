package server

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/agreement"
	"github.com/allyway/allyway/internal/auth"
)

func TestAPIAgreements(t *testing.T) {
	w := newAgWorld(t)
	h := w.h
	api := newAPITester(t, h)
	_, token := h.createToken(w.f.ID, "crm", auth.RoleAdmin)
	_, viewer := h.createToken(w.f.ID, "bi", auth.RoleViewer)
	tpl := w.template("referral")

	// Bad input: a rate over 100%, tiers overlapping, an unknown partner.
	resp := api.do(t, apiReq{Method: http.MethodPost, Path: "/agreements", Token: token, Invalid: true,
		Body: []byte(`{"partner_id": "` + w.p.ID.String() + `", "effective_from": "2026-01-01",
			"rules": [{"kind": "percent_first_project", "direction": "we_pay", "rate_bp": 12000}]}`)})
	fe := resp.fieldErrors(t)
	assert.Contains(t, fe["rules[0].rate_bp"], "10000 (100%)")
	resp = api.do(t, apiReq{Method: http.MethodPost, Path: "/agreements", Token: token, Invalid: true,
		Body: []byte(`{"partner_id": "` + uuid.NewString() + `", "effective_from": "2026-01-01",
			"rules": [{"kind": "tiered_volume", "direction": "we_pay", "period": "calendar_year", "mode": "from_threshold",
			"tiers": [{"min_referrals": 3, "rate_bp": 1000}, {"min_referrals": 2, "rate_bp": 1500}]}]}`)})
	fe = resp.fieldErrors(t)
	assert.Equal(t, "No such partner.", fe["partner_id"])

	resp = api.do(t, apiReq{Method: http.MethodPost, Path: "/agreements", Token: token, Invalid: true,
		Body: []byte(`{"partner_id": "` + w.p.ID.String() + `", "effective_from": "2026-01-01",
			"rules": [{"kind": "tiered_volume", "direction": "we_pay", "period": "calendar_year", "mode": "from_threshold",
			"tiers": [{"min_referrals": 3, "rate_bp": 1000}, {"min_referrals": 2, "rate_bp": 1500}]}]}`)})
	fe = resp.fieldErrors(t)
	assert.Contains(t, fe["rules[0].tiers[1].min_referrals"], "without overlaps")

	// A viewer token can't write.
	resp = api.post(t, viewer, "/agreements", map[string]any{"partner_id": w.p.ID, "effective_from": "2026-01-01"}, nil)
	resp.problem(t, http.StatusForbidden)

	// Create from the template, overriding the net days; idempotent.
	body := map[string]any{"partner_id": w.p.ID, "template_id": tpl.ID, "effective_from": "2026-01-01",
		"payment_net_days": 45, "territories": []string{"Northeast"}, "terms": map[string]any{"off_limits": "Audit"}}
	key := map[string]string{"Idempotency-Key": "agr-1"}
	resp = api.post(t, token, "/agreements", body, key)
	require.Equal(t, http.StatusCreated, resp.Status, string(resp.Body))
	var a apiAgreement
	resp.decode(t, &a)
	assert.Equal(t, 1, a.Version)
	assert.Equal(t, "draft", a.Status)
	assert.Equal(t, 45, a.PaymentNetDays)
	assert.Equal(t, "2026-12-31", *a.EffectiveTo, "the template's 12 months")
	assert.Equal(t, int64(1000), a.Rules[0].RateBP)
	assert.Equal(t, "Audit", a.Terms.OffLimits)
	assert.NotEmpty(t, a.Terms.Confidentiality, "the rest of the template's terms")
	again := api.post(t, token, "/agreements", body, key)
	require.Equal(t, http.StatusCreated, again.Status)
	assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	assert.JSONEq(t, string(resp.Body), string(again.Body))
	assert.Len(t, w.versions(w.p.ID), 1)

	// A second pending version conflicts.
	resp = api.post(t, token, "/agreements", map[string]any{"partner_id": w.p.ID, "effective_from": "2026-02-01"}, nil)
	resp.problem(t, http.StatusConflict)

	// PATCH the draft, then send it.
	patch := func(id uuid.UUID, v any) apiResp {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return api.do(t, apiReq{Method: http.MethodPatch, Path: "/agreements/" + id.String(), Token: token, Body: b})
	}
	resp = patch(a.ID, map[string]any{"payment_net_days": 60, "title": "Referral terms"})
	require.Equal(t, http.StatusOK, resp.Status, string(resp.Body))
	resp.decode(t, &a)
	assert.Equal(t, 60, a.PaymentNetDays)
	resp = patch(a.ID, map[string]any{"status": "sent"})
	require.Equal(t, http.StatusOK, resp.Status, string(resp.Body))
	resp.decode(t, &a)
	assert.Equal(t, "sent", a.Status)
	require.NotNil(t, a.SentAt)
	assert.Contains(t, h.lastEmail("admin@brightline.test").Subject, "partnership agreement")
	resp = patch(a.ID, map[string]any{"payment_net_days": 30})
	resp.problem(t, http.StatusConflict)

	// Record it as signed: active.
	resp = patch(a.ID, map[string]any{"status": "active", "signed_by": "Robin Brightline"})
	require.Equal(t, http.StatusOK, resp.Status, string(resp.Body))
	resp.decode(t, &a)
	assert.Equal(t, "active", a.Status)
	assert.Equal(t, "recorded", *a.AcceptedVia)
	assert.Equal(t, "Robin Brightline", *a.AcceptedName)

	// PATCH of the active version makes version 2 (a draft); version 1 stays.
	resp = patch(a.ID, map[string]any{"effective_from": "2026-01-01", "payment_net_days": 30})
	assert.Contains(t, resp.fieldErrors(t)["effective_from"], "Version 1 takes effect on 1 Jan 2026")
	resp = patch(a.ID, map[string]any{"effective_from": "2026-07-01", "payment_net_days": 30, "status": "active"})
	require.Equal(t, http.StatusOK, resp.Status, string(resp.Body))
	var v2 apiAgreement
	resp.decode(t, &v2)
	assert.Equal(t, 2, v2.Version)
	assert.NotEqual(t, a.ID, v2.ID)
	assert.Equal(t, "active", v2.Status)
	assert.Equal(t, 30, v2.PaymentNetDays)
	assert.Equal(t, "Referral terms", v2.Title, "unchanged terms carry over")
	resp = api.get(t, token, "/agreements/"+a.ID.String())
	resp.decode(t, &a)
	assert.Equal(t, "superseded", a.Status)
	assert.Equal(t, "2026-06-30", *a.EffectiveTo)

	// Lists: filters and pages.
	other := h.createPartner(w.f.ID, "Other")
	w.in(func(ctx context.Context, tx pgx.Tx) error {
		_, err := agreement.CreateDraft(ctx, tx, w.f.ID, other.ID, agreement.DefaultInput("alliance", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), uuid.Nil)
		return err
	})
	var page listPage[apiAgreement]
	api.get(t, token, "/agreements?partner_id="+w.p.ID.String()).decode(t, &page)
	assert.Len(t, page.Data, 2)
	api.get(t, viewer, "/agreements?status=draft").decode(t, &page)
	require.Len(t, page.Data, 1)
	assert.Equal(t, other.ID, page.Data[0].PartnerID)
	api.get(t, token, "/agreements?limit=2").decode(t, &page)
	require.Len(t, page.Data, 2)
	require.NotNil(t, page.NextCursor)
	api.get(t, token, "/agreements?limit=2&cursor="+*page.NextCursor).decode(t, &page)
	assert.Len(t, page.Data, 1)
	assert.Nil(t, page.NextCursor)
	resp = api.do(t, apiReq{Method: http.MethodGet, Path: "/agreements?status=bogus", Token: token, Invalid: true})
	assert.Contains(t, resp.fieldErrors(t), "status")

	// Terminate the active version.
	resp = patch(v2.ID, map[string]any{"status": "terminated", "ended_on": "2026-10-31"})
	assert.Contains(t, resp.fieldErrors(t), "ended_reason")
	resp = patch(v2.ID, map[string]any{"status": "terminated", "ended_on": "2026-10-31", "ended_reason": "Merged"})
	require.Equal(t, http.StatusOK, resp.Status, string(resp.Body))
	resp.decode(t, &v2)
	assert.Equal(t, "terminated", v2.Status)
	assert.Equal(t, "2026-10-31", *v2.EffectiveTo)

	// Another firm's agreement is not found.
	b := h.createFirm("otherfirm", "Other Firm")
	bp := h.createPartner(b.ID, "B's partner")
	var ba agreement.Agreement
	require.NoError(t, h.db.InTenant(context.Background(), b.ID, func(tx pgx.Tx) (err error) {
		ba, err = agreement.CreateDraft(context.Background(), tx, b.ID, bp.ID, agreement.DefaultInput("referral", time.Now()), uuid.Nil)
		return err
	}))
	api.get(t, token, "/agreements/"+ba.ID.String()).problem(t, http.StatusNotFound)
	patch(ba.ID, map[string]any{"title": "x"}).problem(t, http.StatusNotFound)
	resp = api.post(t, token, "/agreements", map[string]any{"partner_id": bp.ID, "effective_from": "2026-01-01"}, nil)
	assert.Equal(t, "No such partner.", resp.fieldErrors(t)["partner_id"])
}
