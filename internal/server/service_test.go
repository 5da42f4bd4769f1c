package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
)

// svcID returns the id of a firm's service by name (arranging and inspecting as the owner).
func (h *harness) svcID(tenantID uuid.UUID, name string) uuid.UUID {
	h.t.Helper()
	var id uuid.UUID
	require.NoError(h.t, h.owner.QueryRow(context.Background(),
		`SELECT id FROM services WHERE tenant_id = $1 AND name = $2`, tenantID, name).Scan(&id))
	return id
}

// svcAudits counts a firm's audit rows with an action.
func (h *harness) svcAudits(tenantID uuid.UUID, action string) int {
	h.t.Helper()
	var n int
	require.NoError(h.t, h.owner.QueryRow(context.Background(),
		`SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = $2`, tenantID, action).Scan(&n))
	return n
}

// svcInsert adds a service directly.
func (h *harness) svcInsert(tenantID uuid.UUID, name, phase string) uuid.UUID {
	h.t.Helper()
	var id uuid.UUID
	require.NoError(h.t, h.owner.QueryRow(context.Background(),
		`INSERT INTO services (tenant_id, name, phase) VALUES ($1, $2, $3) RETURNING id`, tenantID, name, phase).Scan(&id))
	return id
}

func TestServiceMapCRUD(t *testing.T) {
	h := newHarness(t)
	f := h.createFirm("svc", "Svc Firm")
	c := h.loggedIn(f.Owner.Email)
	base := "/t/svc/services"

	resp, body := h.get(c, base)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Our services")
	require.Contains(t, body, "Before us")
	require.Contains(t, body, "After us")

	resp, _ = h.post(c, base, url.Values{"name": {"  Payroll "}, "phase": {"before"}, "description": {"Running payroll"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = h.post(c, base, url.Values{"name": {"Strategy"}, "phase": {"ours"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.get(c, base)
	require.Contains(t, body, "Payroll")
	require.Contains(t, body, "Running payroll")
	require.Contains(t, body, "Not covered")
	require.Equal(t, 2, h.svcAudits(f.ID, "service.created"))

	// A duplicate name, in any case, is a field error with the input kept.
	resp, body = h.post(c, base, url.Values{"name": {"PAYROLL"}, "phase": {"after"}, "description": {"again"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "already has a service called")
	require.Contains(t, body, `value="PAYROLL"`)
	require.Contains(t, body, ">again</textarea>")
	// Bad phase and empty name.
	resp, body = h.post(c, base, url.Values{"name": {""}, "phase": {"sometime"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Enter the service")
	require.Contains(t, body, "Choose ours, before, during or after")
	require.Equal(t, 2, h.svcAudits(f.ID, "service.created"))

	payroll := h.svcID(f.ID, "Payroll")
	edit := base + "/" + payroll.String()
	resp, body = h.get(c, edit+"/edit")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `value="Payroll"`)

	// Renaming onto another service's name is refused, nothing changes.
	resp, body = h.post(c, edit, url.Values{"name": {"strategy"}, "phase": {"before"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "already has a service called “Strategy”")
	require.Equal(t, payroll, h.svcID(f.ID, "Payroll"))

	resp, _ = h.post(c, edit, url.Values{"name": {"Payroll outsourcing"}, "phase": {"during"}, "description": {""}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, payroll, h.svcID(f.ID, "Payroll outsourcing"))
	require.Equal(t, 1, h.svcAudits(f.ID, "service.updated"))

	resp, _ = h.post(c, edit+"/delete", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = h.get(c, base)
	require.NotContains(t, body, "<strong>Payroll outsourcing</strong>")
	require.Equal(t, 1, h.svcAudits(f.ID, "service.deleted"))
	resp, _ = h.get(c, edit+"/edit")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	// A viewer sees the map but can't change it.
	h.staffUser(f, "viewer@svc.test", auth.RoleViewer)
	v := h.loggedIn("viewer@svc.test")
	resp, body = h.get(v, base)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotContains(t, body, "Add a service")
	resp, _ = h.post(v, base, url.Values{"name": {"Tax"}, "phase": {"after"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func TestServiceForeignIDsNotFound(t *testing.T) {
	h := newHarness(t)
	a := h.createFirm("svc-a", "A")
	b := h.createFirm("svc-b", "B")
	pa := h.createPartner(a.ID, "A partner")
	bSvc := h.svcInsert(b.ID, "B's service", "before")
	aSvc := h.svcInsert(a.ID, "A's service", "before")
	c := h.loggedIn(a.Owner.Email)

	resp, _ := h.get(c, "/t/svc-a/services/"+bSvc.String()+"/edit")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = h.post(c, "/t/svc-a/services/"+bSvc.String(), url.Values{"name": {"Mine"}, "phase": {"ours"}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = h.post(c, "/t/svc-a/services/"+bSvc.String()+"/delete", nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = h.post(c, "/t/svc-a/services/not-a-uuid/delete", nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	// Logging a gap against B's service.
	resp, _ = h.post(c, "/t/svc-a/services/gaps", url.Values{"service_id": {bSvc.String()}, "noted_by": {a.Owner.ID.String()},
		"noted_on": {time.Now().Format("2006-01-02")}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	// Marking a partner as covering B's service: nothing is written.
	resp, _ = h.post(c, "/t/svc-a/partners/"+pa.ID.String()+"/services", url.Values{"service_id": {aSvc.String(), bSvc.String()}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	var n int
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT count(*) FROM partner_services`).Scan(&n))
	require.Zero(t, n)
	require.NoError(t, h.owner.QueryRow(context.Background(), `SELECT count(*) FROM service_gaps`).Scan(&n))
	require.Zero(t, n)
	// B's service is untouched.
	require.Equal(t, bSvc, h.svcID(b.ID, "B's service"))
}

func TestGapLogAndReport(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	f := h.createFirm("gaps", "Gap Firm")
	colleague := h.staffUser(f, "sam@gaps.test", auth.RoleManager)
	c := h.loggedIn(f.Owner.Email)
	today := time.Now()
	day := func(daysAgo int) string { return today.AddDate(0, 0, -daysAgo).Format("2006-01-02") }

	payroll := h.svcInsert(f.ID, "Payroll", "before")
	legal := h.svcInsert(f.ID, "Legal", "during")
	brand := h.svcInsert(f.ID, "Brand", "before")
	covering := h.createPartner(f.ID, "Ledger & Co")
	_, err := h.owner.Exec(ctx, `INSERT INTO partner_services (tenant_id, partner_id, service_id) VALUES ($1, $2, $3)`,
		f.ID, covering.ID, legal)
	require.NoError(t, err)

	// The form defaults to the current user and today.
	resp, body := h.get(c, "/t/gaps/services/gaps")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `value="`+today.Format("2006-01-02")+`"`)
	require.Contains(t, body, `<option value="`+f.Owner.ID.String()+`" selected>`)
	require.Contains(t, body, "No gaps logged in the last 12 months")

	logGap := func(v url.Values) (*http.Response, string) { return h.post(c, "/t/gaps/services/gaps", v) }
	for _, on := range []int{30, 10, 200} {
		resp, body = logGap(url.Values{"service_id": {payroll.String()}, "client_name": {"Acme"}, "noted_by": {colleague.ID.String()},
			"noted_on": {day(on)}, "note": {"asked about payroll"}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	}
	for _, on := range []int{5, 300} {
		resp, _ = logGap(url.Values{"service_id": {legal.String()}, "noted_by": {f.Owner.ID.String()}, "noted_on": {day(on)}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	}
	// A new service named in the gap form joins the map, in its phase.
	resp, _ = logGap(url.Values{"new_service": {"Investor relations"}, "new_phase": {"after"}, "client_name": {"Globex"},
		"noted_by": {f.Owner.ID.String()}, "noted_on": {day(1)}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	ir := h.svcID(f.ID, "Investor relations")
	var phase string
	require.NoError(t, h.owner.QueryRow(ctx, `SELECT phase FROM services WHERE id = $1`, ir).Scan(&phase))
	require.Equal(t, "after", phase)
	// Naming an existing service (any case) uses it.
	resp, _ = logGap(url.Values{"new_service": {"investor RELATIONS"}, "new_phase": {"after"}, "noted_by": {f.Owner.ID.String()}, "noted_on": {day(2)}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	// Brand: only asked for more than 12 months ago.
	resp, _ = logGap(url.Values{"service_id": {brand.String()}, "noted_by": {f.Owner.ID.String()}, "noted_on": {day(400)}, "client_name": {"Old Client"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 8, h.svcAudits(f.ID, "gap.logged"))
	require.Equal(t, 1, h.svcAudits(f.ID, "service.created"))

	// Bad input: 422, input kept, nothing written.
	resp, body = logGap(url.Values{"client_name": {"Kept Client"}, "noted_by": {f.Owner.ID.String()}, "noted_on": {day(-3)}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Choose the service the client asked for")
	require.Contains(t, body, "The date can&#39;t be in the future")
	require.Contains(t, body, `value="Kept Client"`)
	resp, body = logGap(url.Values{"service_id": {payroll.String()}, "noted_by": {uuid.NewString()}, "noted_on": {"31/12/2025"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Choose someone on your firm")
	require.Contains(t, body, "Enter a date like")
	resp, body = logGap(url.Values{"new_service": {"Tax"}, "new_phase": {"later"}, "noted_by": {f.Owner.ID.String()}, "noted_on": {day(0)}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "Choose ours, before, during or after")
	require.Equal(t, 8, h.svcAudits(f.ID, "gap.logged"))

	// The report: Payroll 3, then Investor relations 2 (more recent) and Legal 2, Brand not at all.
	resp, body = h.get(c, "/t/gaps/services/gaps/report")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	iPayroll, iIR, iLegal := strings.Index(body, "<td>Payroll</td>"), strings.Index(body, "<td>Investor relations</td>"), strings.Index(body, "<td>Legal</td>")
	require.True(t, iPayroll > 0 && iIR > iPayroll && iLegal > iIR, "report order: %d %d %d", iPayroll, iIR, iLegal)
	require.Contains(t, body, "3 times")
	require.NotContains(t, body, "Brand")
	require.Contains(t, body, "No partner covers this — a recruiting target")
	require.Contains(t, body, "Ledger &amp; Co")

	// The gaps page holds the report and the log, newest first; the old gap is still in the log.
	resp, body = h.get(c, "/t/gaps/services/gaps")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Most requested in the last 12 months")
	require.Contains(t, body, "Old Client")
	require.Contains(t, body, "sam")
	log := body[strings.Index(body, "gap-log-heading"):]
	require.Less(t, strings.Index(log, "Globex"), strings.Index(log, "Old Client"))

	// Removing a gap is audited; another firm's gap id is not found.
	var gid uuid.UUID
	require.NoError(t, h.owner.QueryRow(ctx, `SELECT id FROM service_gaps WHERE client_name = 'Old Client'`).Scan(&gid))
	other := h.createFirm("gaps-b", "B")
	ob := h.loggedIn(other.Owner.Email)
	resp, _ = h.post(ob, "/t/gaps-b/services/gaps/"+gid.String()+"/delete", nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = h.post(c, "/t/gaps/services/gaps/"+gid.String()+"/delete", nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, 1, h.svcAudits(f.ID, "gap.deleted"))

	// Deleting a service takes its gaps with it.
	resp, body = h.get(c, "/t/gaps/services/"+payroll.String()+"/edit")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "The gap log has 3 requests for it")
}
