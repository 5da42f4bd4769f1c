package server

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/alert"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/web/view"
)

// alertRoutes are the alerts page under /t/{tenant} (any staff role
// reads it; managers and up may run the checks by hand) and finance's
// program inputs (program_input.go).
func (s *Server) alertRoutes(r chi.Router) {
	r.Get("/alerts", s.alertList)
	r.Get("/alerts/export.csv", s.alertExport)
	r.With(s.requireCap(auth.ManagePartners)).Post("/alerts/scan", s.alertScan)
	s.programInputRoutes(r)
}

const alertsPerPage = 50

// alertQuery is the alerts page's URL: view=resolved, kind, partner, page.
type alertQuery struct {
	resolved bool
	kind     string
	partner  string
	page     int
}

func parseAlertQuery(v url.Values) alertQuery {
	q := alertQuery{resolved: v.Get("view") == "resolved", kind: v.Get("kind"), partner: v.Get("partner"), page: 1}
	if n, err := strconv.Atoi(v.Get("page")); err == nil && n > 1 && n < 100_000 {
		q.page = n
	}
	return q
}

func (q alertQuery) values() url.Values {
	v := url.Values{}
	if q.resolved {
		v.Set("view", "resolved")
	}
	if q.kind != "" {
		v.Set("kind", q.kind)
	}
	if q.partner != "" {
		v.Set("partner", q.partner)
	}
	if q.page > 1 {
		v.Set("page", strconv.Itoa(q.page))
	}
	return v
}

// filter turns the query into an alert filter; a kind or partner that
// can't be one is reported on its field and not applied.
func (q alertQuery) filter() (alert.Filter, map[string]string) {
	errs := map[string]string{}
	f := alert.Filter{Resolved: &q.resolved}
	if q.kind != "" {
		if alert.ValidKind(q.kind) {
			f.Kind = q.kind
		} else {
			errs["kind"] = "Choose a kind from the list."
		}
	}
	if q.partner != "" {
		if id, err := uuid.Parse(q.partner); err == nil {
			f.PartnerID = &id
		} else {
			errs["partner"] = "Choose a partner from the list."
		}
	}
	return f, errs
}

// alertList is the alerts page: open alerts most pressing first, or the
// resolved history, filtered by kind and partner.
func (s *Server) alertList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := parseAlertQuery(r.URL.Query())
	f, errs := q.filter()
	var (
		rows     []alert.Alert
		total    int
		open     int
		partners []partner.Partner
	)
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		page := func() error {
			rows, total, err = alert.Page(ctx, tx, sc.Tenant.ID, f, (q.page-1)*alertsPerPage, alertsPerPage)
			return err
		}
		if err := page(); err != nil {
			return err
		}
		if len(rows) == 0 && total > 0 { // past the last page: show the last
			q.page = pages(total, alertsPerPage)
			if err := page(); err != nil {
				return err
			}
		}
		openOnly := f
		no := false
		openOnly.Resolved = &no
		if _, open, err = alert.Page(ctx, tx, sc.Tenant.ID, openOnly, 0, 0); err != nil {
			return err
		}
		partners, err = partner.List(ctx, tx, sc.Tenant.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	base := "/t/" + sc.Tenant.Slug
	list := base + "/alerts"
	tab := func(resolved bool) string {
		t := q
		t.resolved, t.page = resolved, 1
		return withQuery(list, t.values())
	}
	clear := alertQuery{resolved: q.resolved}
	d := view.AlertListProps{Base: base, Resolved: q.resolved, Kind: q.kind, Partner: q.partner,
		Partners: partnerOptions(partners, false), Filter: view.Form{Errors: view.FieldErrors(errs)},
		Filtered: q.kind != "" || q.partner != "", ClearURL: withQuery(list, clear.values()),
		OpenURL: tab(false), HistURL: tab(true), OpenCount: open, Total: total, ExportURL: alertExportURL(list, q),
		CanScan: sc.Role.Can(auth.ManagePartners), ScanURL: list + "/scan"}
	for _, k := range alert.Kinds {
		d.Kinds = append(d.Kinds, view.Option{Value: k, Label: alert.KindLabel(k)})
	}
	for _, a := range rows {
		d.Rows = append(d.Rows, alertRow(sc, a))
	}
	from := (q.page-1)*alertsPerPage + 1
	d.Pages = view.PaginationProps{From: from, To: from + len(rows) - 1, Total: total, Label: "Alert pages"}
	if q.page > 1 {
		prev := q
		prev.page--
		d.Pages.PrevURL = withQuery(list, prev.values())
	}
	if q.page*alertsPerPage < total {
		next := q
		next.page++
		d.Pages.NextURL = withQuery(list, next.values())
	}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	s.render(w, r, status, view.AlertListPage(s.page(r, "Alerts", "alerts"), d))
}

// alertRow shows an alert in the list or on the dashboard.
func alertRow(sc *staffCtx, a alert.Alert) view.AlertRow {
	row := view.AlertRow{Kind: a.Kind, KindLabel: alert.KindLabel(a.Kind), Tone: view.AlertTone(a.Kind),
		Partner: a.PartnerName, Message: a.Message, Since: a.CreatedAt.Format(dayFormat)}
	if a.PartnerID != nil {
		row.PartnerURL = "/t/" + sc.Tenant.Slug + "/partners/" + a.PartnerID.String()
	}
	if a.UpdatedAt.After(a.CreatedAt) && a.ResolvedAt == nil {
		row.Changed = a.UpdatedAt.Format(dayFormat)
	}
	if a.ResolvedAt != nil {
		row.Resolved = a.ResolvedAt.Format(dayFormat)
	}
	return row
}

// alertScan runs the checks for the firm now (what the daily job does)
// and says what changed.
func (s *Server) alertScan(w http.ResponseWriter, r *http.Request) {
	var res alert.Result
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		res, err = alert.Scan(r.Context(), tx, sc.Tenant.ID, s.now())
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n := func(k int, one, many string) string { return strconv.Itoa(k) + " " + plural(k, one, many) }
	msg := "The checks ran: " + n(res.Raised, "new alert", "new alerts") + ", " +
		n(res.Updated, "alert updated", "alerts updated") + ", " + n(res.Resolved, "resolved", "resolved") + "."
	if res.Skipped > 0 {
		msg = "The checks are already running; try again in a minute."
	}
	s.flash(r, "success", msg)
	redirect(w, r, "/t/"+staffFrom(r.Context()).Tenant.Slug+"/alerts")
}

// dashboardAlerts is the dashboard's card: the most pressing open alerts.
func dashboardAlerts(sc *staffCtx, as []alert.Alert) []view.AlertRow {
	out := make([]view.AlertRow, 0, len(as))
	for _, a := range as {
		out = append(out, alertRow(sc, a))
	}
	return out
}

// dashboardAlertCount is how many alerts the dashboard's card shows.
const dashboardAlertCount = 5

// alertExportURL is the Download CSV link: the list's filters, all pages.
func alertExportURL(list string, q alertQuery) string {
	q.page = 1
	return withQuery(list+"/export.csv", q.values())
}

// alertExportHeader are the columns of the alerts export.
var alertExportHeader = []string{"kind", "partner", "message", "raised", "updated", "resolved", "emailed"}

// alertExport downloads the alerts the page shows (open or resolved, its
// filters), every page, as CSV.
func (s *Server) alertExport(w http.ResponseWriter, r *http.Request) {
	f, _ := parseAlertQuery(r.URL.Query()).filter()
	s.exportCSV(w, r, "alerts", alertExportHeader, func(ctx context.Context, tx pgx.Tx, sc *staffCtx, write func(...string) error) error {
		for off := 0; ; off += exportBatch {
			rows, _, err := alert.Page(ctx, tx, sc.Tenant.ID, f, off, exportBatch)
			if err != nil {
				return err
			}
			for _, a := range rows {
				if err := write(alert.KindLabel(a.Kind), a.PartnerName, a.Message, exportTime(&a.CreatedAt), exportTime(&a.UpdatedAt),
					exportTime(a.ResolvedAt), exportTime(a.EmailedAt)); err != nil {
					return err
				}
			}
			if len(rows) < exportBatch {
				return nil
			}
		}
	})
}
