package server

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/auth"
)

// TestAuditExport: the audit log export has the log's columns, every
// entry, the action and since filters, formulas neutralised, and is for
// those who may see the log.
func TestAuditExport(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("aux", "Audit Export Firm")
	h.commExec(`INSERT INTO audit_log (tenant_id, at, action, target_type, target_id, detail, ip) VALUES
		($1, '2026-01-05 10:00:00+00', 'partner.created', 'partner', '=HYPERLINK("http://evil.example")', '{"name":"=HYPERLINK(\"http://evil.example\")"}', '203.0.113.9'),
		($1, '2026-02-05 10:00:00+00', 'partner.tier_set', 'partner', 'p1', '{}', ''),
		($1, '2026-03-05 10:00:00+00', 'gap.logged', 'service_gap', 'g1', '{}', '')`, f.ID)
	total := h.countRows(`SELECT count(*) FROM audit_log WHERE tenant_id = $1`, f.ID)
	c := h.loggedIn(f.Owner.Email)

	_, page := h.get(c, "/t/aux/settings/audit")
	require.Contains(t, page, `href="/t/aux/settings/audit/export.csv" download>Download CSV</a>`)

	resp, body := h.get(c, "/t/aux/settings/audit/export.csv")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	rows := exportRows(t, body)
	require.Equal(t, auditExportHeader, rows[0])
	require.Len(t, rows, total+1)

	_, body = h.get(c, "/t/aux/settings/audit/export.csv?action=partner.")
	rows = exportRows(t, body)
	require.Len(t, rows, 3, "the action filter applies")
	require.Equal(t, []string{"2026-02-05T10:00:00Z", "System", "", "partner.tier_set", "partner", "p1", "", ""}, rows[1])
	require.Equal(t, "partner.created", rows[2][3])
	require.Equal(t, `'=HYPERLINK("http://evil.example")`, rows[2][5], "formulas neutralised")
	require.Contains(t, rows[2][6], `"name"`)
	require.Equal(t, "203.0.113.9", rows[2][7])

	_, body = h.get(c, "/t/aux/settings/audit/export.csv?action=partner.&since=2026-02-01")
	require.Len(t, exportRows(t, body), 2, "the since filter applies")

	m := h.staffUser(f, "manager@aux.test", auth.RoleManager)
	resp, _ = h.get(h.loggedIn(m.Email), "/t/aux/settings/audit/export.csv")
	require.NotEqual(t, http.StatusOK, resp.StatusCode, "only those who see the log")
}

// TestTeamExport: the team export lists staff and portal users, the kind
// and partner filters, and neutralises formulas.
func TestTeamExport(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.createFirm("tmx", "Team Export Firm")
	p := h.createPartner(f.ID, `=HYPERLINK("http://evil.example","x")`)
	q := h.createPartner(f.ID, "Quiet Partners")
	h.portalUser(f.ID, p.ID, "pat@evil.test", auth.RolePartnerAdmin)
	h.portalUser(f.ID, q.ID, "quinn@quiet.test", auth.RolePartnerMember)
	h.staffUser(f, "fin@tmx.test", auth.RoleFinance)
	c := h.loggedIn(f.Owner.Email)

	_, page := h.get(c, "/t/tmx/settings/team")
	require.Contains(t, page, `href="/t/tmx/settings/team/export.csv" download>Download CSV</a>`)

	resp, body := h.get(c, "/t/tmx/settings/team/export.csv")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	rows := exportRows(t, body)
	require.Equal(t, teamExportHeader, rows[0])
	require.Len(t, rows, 5)
	require.Contains(t, body, `'=HYPERLINK(`, "formulas neutralised")

	_, body = h.get(c, "/t/tmx/settings/team/export.csv?kind=staff")
	rows = exportRows(t, body)
	require.Len(t, rows, 3, "the filter applies")
	for _, r := range rows[1:] {
		require.Equal(t, "staff", r[0])
	}

	_, body = h.get(c, "/t/tmx/settings/team/export.csv?partner="+q.ID.String())
	rows = exportRows(t, body)
	require.Len(t, rows, 2)
	require.Equal(t, []string{"portal", "quinn", "quinn@quiet.test", "partner_member", "Quiet Partners"}, rows[1][:5])
}
