package server

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/web/view"
)

const auditPageSize = 50

// auditList shows the firm's audit log, newest first, 50 a page.
func (s *Server) auditList(w http.ResponseWriter, r *http.Request) {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	var es []audit.Entry
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		es, err = audit.List(r.Context(), tx, sc.Tenant.ID, before, auditPageSize+1)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(r.Context())
	props := view.AuditProps{}
	if len(es) > auditPageSize {
		es = es[:auditPageSize]
		props.OlderURL = "/t/" + sc.Tenant.Slug + "/settings/audit?before=" + strconv.FormatInt(es[len(es)-1].ID, 10)
	}
	if before > 0 {
		props.NewestURL = "/t/" + sc.Tenant.Slug + "/settings/audit"
	}
	for _, e := range es {
		who := e.ActorName
		if who == "" && e.TokenName != "" {
			who = "API token " + e.TokenName
		}
		if who == "" {
			who = "System"
		}
		detail, _ := json.Marshal(e.Detail)
		if string(detail) == "{}" {
			detail = nil
		}
		props.Entries = append(props.Entries, view.AuditRow{At: e.At.UTC().Format("2006-01-02 15:04:05 UTC"), Who: who,
			Email: e.ActorEmail, Action: e.Action, Target: e.TargetType, Detail: string(detail), IP: e.IP})
	}
	s.render(w, r, http.StatusOK, view.AuditPage(s.page(r, "Audit log", "audit"), props))
}
