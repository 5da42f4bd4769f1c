package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

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
	props := view.AuditProps{ExportURL: "/t/" + sc.Tenant.Slug + "/settings/audit/export.csv"}
	if len(es) > auditPageSize {
		es = es[:auditPageSize]
		props.OlderURL = "/t/" + sc.Tenant.Slug + "/settings/audit?before=" + strconv.FormatInt(es[len(es)-1].ID, 10)
	}
	if before > 0 {
		props.NewestURL = "/t/" + sc.Tenant.Slug + "/settings/audit"
	}
	for _, e := range es {
		who, detail := auditWho(e), auditDetail(e)
		props.Entries = append(props.Entries, view.AuditRow{At: e.At.UTC().Format("2006-01-02 15:04:05 UTC"), Who: who,
			Email: e.ActorEmail, Action: e.Action, Target: e.TargetType, Detail: detail, IP: e.IP})
	}
	s.render(w, r, http.StatusOK, view.AuditPage(s.page(r, "Audit log", "audit"), props))
}

// auditWho is who made an entry: a person, an API token or the system.
func auditWho(e audit.Entry) string {
	switch {
	case e.ActorName != "":
		return e.ActorName
	case e.TokenName != "":
		return "API token " + e.TokenName
	}
	return "System"
}

// auditDetail is an entry's detail as JSON; "" for none.
func auditDetail(e audit.Entry) string {
	detail, _ := json.Marshal(e.Detail)
	if string(detail) == "{}" || string(detail) == "null" {
		return ""
	}
	return string(detail)
}

// auditExportHeader are the columns of the audit log export.
var auditExportHeader = []string{"at", "who", "email", "action", "target", "target id", "detail", "ip"}

// auditExport downloads the whole audit log, newest first, as CSV.
// Filters: ?action= (an action, or a prefix ending in "." such as
// "partner.") and ?since=YYYY-MM-DD (entries from that day, UTC).
func (s *Server) auditExport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	action := strings.TrimSpace(q.Get("action"))
	var since time.Time
	if d, err := time.Parse(time.DateOnly, q.Get("since")); err == nil {
		since = d
	}
	match := func(e audit.Entry) bool {
		if action == "" {
			return true
		}
		if strings.HasSuffix(action, ".") {
			return strings.HasPrefix(e.Action, action)
		}
		return e.Action == action
	}
	s.exportCSV(w, r, "audit-log", auditExportHeader, func(ctx context.Context, tx pgx.Tx, sc *staffCtx, write func(...string) error) error {
		var before int64
		for {
			es, err := audit.List(ctx, tx, sc.Tenant.ID, before, exportBatch)
			if err != nil {
				return err
			}
			for _, e := range es {
				if e.At.Before(since) {
					return nil
				}
				if !match(e) {
					continue
				}
				if err := write(exportTime(&e.At), auditWho(e), e.ActorEmail, e.Action, e.TargetType, e.TargetID,
					auditDetail(e), e.IP); err != nil {
					return err
				}
			}
			if len(es) < exportBatch {
				return nil
			}
			before = es[len(es)-1].ID
		}
	})
}
