package server

import (
	"bytes"
	"context"
	"io"
	"mime"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"rsc.io/pdf"

	"github.com/allyway/allyway/internal/agreement"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/commission"
)

// getPDF fetches a PDF and returns its pages and text (without spaces:
// the core fonts carry no widths for the reader to find them).
func (h *harness) getPDF(c *http.Client, path string) (*http.Response, int, string) {
	h.t.Helper()
	resp, err := c.Get(h.ts.URL + path)
	require.NoError(h.t, err)
	b, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	resp.Body.Close()
	require.Equal(h.t, http.StatusOK, resp.StatusCode, "%s: %s", path, b)
	require.Equal(h.t, "application/pdf", resp.Header.Get("Content-Type"))
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	require.NoError(h.t, err)
	var sb strings.Builder
	for i := 1; i <= r.NumPage(); i++ {
		for _, t := range r.Page(i).Content().Text {
			sb.WriteString(t.S)
		}
	}
	return resp, r.NumPage(), sb.String()
}

func noSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// The documents of a version: the one-page MOU and the full agreement as
// PDF (parties, model, a rate, net days), and the print page — for the
// firm's staff and the partner's portal users; another partner's version
// is not found either way.
func TestAgreementDocuments(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	f := h.createFirm("northwind", "Northwind Advisory")
	p := h.createPartner(f.ID, "Müller & Söhne Beratung")
	other := h.createPartner(f.ID, "Keystone Legal")
	h.portalUser(f.ID, p.ID, "pat@mueller.test", auth.RolePartnerMember)
	viewer := h.staffUser(f, "viewer@northwind.test", auth.RoleViewer)

	var a, draft agreement.Agreement
	require.NoError(t, h.db.InTenant(ctx, f.ID, func(tx pgx.Tx) (err error) {
		in := agreement.DefaultInput("delivery", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
		in.PaymentTrigger, in.PaymentNetDays = "completion", 60
		in.Rules = []commission.Rule{
			{Kind: commission.CoDeliverySplit, Direction: commission.WePay, PartnerShareBP: 6000},
			{Kind: commission.PercentFirstProject, Direction: commission.WeReceive, RateBP: 1250},
		}
		if a, err = agreement.CreateDraft(ctx, tx, f.ID, p.ID, in, f.Owner.ID); err != nil {
			return err
		}
		if a, err = agreement.Send(ctx, tx, f.ID, a.ID, f.Owner.ID, time.Now()); err != nil {
			return err
		}
		draft, err = agreement.CreateDraft(ctx, tx, f.ID, other.ID, agreement.DefaultInput("referral", time.Now()), f.Owner.ID)
		return err
	}))

	staff := h.loggedIn(viewer.Email)
	base := "/t/northwind/partners/" + p.ID.String() + "/agreements/" + a.ID.String()
	resp, pages, text := h.getPDF(staff, base+"/mou.pdf")
	require.Equal(t, 1, pages)
	for _, want := range []string{"Memorandum of understanding", "Northwind Advisory and Müller & Söhne Beratung",
		"Subcontracting / delivery", "Müller & Söhne Beratung receives 60% of the engagement's revenue",
		"Müller & Söhne Beratung pays Northwind Advisory 12.5% of client payments on the first project",
		"Payable when the project is completed, within 60 days (net 60).", "Not yet accepted."} {
		require.Contains(t, text, noSpace(want))
	}
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
	require.NoError(t, err)
	require.Equal(t, "northwind-advisory_muller-and-sohne-beratung_v1_mou.pdf", params["filename"])
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))

	_, _, text = h.getPDF(staff, base+"/full.pdf")
	for _, want := range []string{"Partnership agreement", "1. Parties", "3. Referral and revenue-share terms",
		"net 60", "10. Acceptance", "11. Version and effective dates", "Awaiting acceptance"} {
		require.Contains(t, text, noSpace(want))
	}

	resp, body := h.get(staff, base+"/print")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Partnership agreement")
	require.Contains(t, body, "Northwind Advisory and Müller &amp; Söhne Beratung")
	require.Contains(t, body, "Payable when the project is completed, within 60 days (net 60).")
	require.Contains(t, body, "name, signature and date")
	require.Contains(t, body, `href="/t/northwind/partners/`+p.ID.String()+`/agreements"`)
	require.NotContains(t, body, `class="sidenav`, "the print page has its own layout")

	// Through another partner's path, or the other partner's version
	// through this one's: not found.
	for _, path := range []string{
		"/t/northwind/partners/" + other.ID.String() + "/agreements/" + a.ID.String() + "/mou.pdf",
		"/t/northwind/partners/" + other.ID.String() + "/agreements/" + a.ID.String() + "/print",
		"/t/northwind/partners/" + p.ID.String() + "/agreements/" + draft.ID.String() + "/full.pdf",
	} {
		resp, _ := h.get(staff, path)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
	}
	// Staff see drafts (marked so).
	_, _, text = h.getPDF(staff, "/t/northwind/partners/"+other.ID.String()+"/agreements/"+draft.ID.String()+"/full.pdf")
	require.Contains(t, text, noSpace("1 — Draft."))

	// The partner's portal user gets the same documents of the sent version.
	portal := h.loggedIn("pat@mueller.test")
	pbase := "/p/northwind/agreement/" + a.ID.String()
	_, pages, text = h.getPDF(portal, pbase+"/mou.pdf")
	require.Equal(t, 1, pages)
	require.Contains(t, text, noSpace("Müller & Söhne Beratung pays Northwind Advisory 12.5%"))
	_, _, text = h.getPDF(portal, pbase+"/full.pdf")
	require.Contains(t, text, noSpace("net 60"))
	resp, body = h.get(portal, pbase+"/print")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `href="/p/northwind/agreement"`)
	resp, _ = h.get(portal, "/p/northwind/agreement/"+draft.ID.String()+"/print")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// The dashboard lists agreements ending within 30 days and those that ran
// out with nothing after them, linked to the partner's Agreements tab.
func TestDashboardAgreementRenewals(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	f := h.createFirm("northwind", "Northwind Advisory")
	ending := h.createPartner(f.ID, "Keystone Legal")
	expired := h.createPartner(f.ID, "Crestview Accountants")
	renewed := h.createPartner(f.ID, "Brightline Tax")
	fine := h.createPartner(f.ID, "Ironbridge Systems")
	today := agreement.Day(time.Now())
	insert := func(partnerID any, version int, status string, from, to time.Time) {
		_, err := h.owner.Exec(ctx, `INSERT INTO agreements (tenant_id, partner_id, version, status, model, effective_from,
				effective_to, accepted_at, accepted_name, accepted_via)
			VALUES ($1, $2, $3, $4, 'referral', $5, $6, now(), 'Signer', 'recorded')`, f.ID, partnerID, version, status, from, to)
		require.NoError(t, err)
	}
	insert(ending.ID, 1, "active", today.AddDate(-1, 0, 0), today.AddDate(0, 0, 10))
	insert(expired.ID, 1, "expired", today.AddDate(-2, 0, 0), today.AddDate(0, -1, 0))
	insert(renewed.ID, 1, "expired", today.AddDate(-2, 0, 0), today.AddDate(0, -1, 0))
	insert(renewed.ID, 2, "active", today.AddDate(0, -1, 1), today.AddDate(1, 0, 0))
	insert(fine.ID, 1, "active", today.AddDate(0, -1, 0), today.AddDate(0, 0, 45))

	_, body := h.get(h.loggedIn(f.Owner.Email), "/t/northwind/")
	require.Contains(t, body, "Agreements to renew")
	require.Contains(t, body, `href="/t/northwind/partners/`+ending.ID.String()+`/agreements">Keystone Legal</a>`)
	require.Contains(t, body, "ends "+today.AddDate(0, 0, 10).Format(agreement.DateFormat)+" (in 10 days)")
	require.Contains(t, body, `href="/t/northwind/partners/`+expired.ID.String()+`/agreements">Crestview Accountants</a>`)
	require.Contains(t, body, "ended "+today.AddDate(0, -1, 0).Format(agreement.DateFormat))
	require.NotContains(t, body, "Brightline Tax", "its expired version was followed by a new one")
	require.NotContains(t, body, "Ironbridge Systems", "it ends in 45 days")
}
