package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/csvout"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/web/view"
)

// partnerDirectoryRoutes: the directory itself is GET /partners (routes.go,
// partnerList); its CSV export sits beside it. Anyone who may see the
// partners (viewers too) may export what they see.
func (s *Server) partnerDirectoryRoutes(r chi.Router) {
	r.Get("/export.csv", s.partnerExport)
}

// directoryQuery reads the directory's URL: q, type, status (repeated),
// tier, region, industry, owner, sort, dir, page, per. Anything it can't
// use is ignored, so every URL shows a page.
func directoryQuery(v url.Values) partner.DirectoryQuery {
	dq := partner.DirectoryQuery{
		Q: v.Get("q"), Type: v.Get("type"), Statuses: v["status"],
		Region: v.Get("region"), Industry: v.Get("industry"),
		Sort: v.Get("sort"), Desc: v.Get("dir") == "desc",
	}
	if id, err := uuid.Parse(v.Get("tier")); err == nil {
		dq.TierID = &id
	}
	if id, err := uuid.Parse(v.Get("owner")); err == nil {
		dq.OwnerUserID = &id
	}
	dq.Page, _ = strconv.Atoi(v.Get("page"))
	dq.PerPage, _ = strconv.Atoi(v.Get("per"))
	dq.Normalize()
	return dq
}

// directoryValues is the URL query of dq (page left out when 1, defaults
// left out), so links keep exactly the filters in force.
func directoryValues(dq partner.DirectoryQuery) url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("q", dq.Q)
	set("type", dq.Type)
	for _, st := range dq.Statuses {
		v.Add("status", st)
	}
	if dq.TierID != nil {
		v.Set("tier", dq.TierID.String())
	}
	set("region", dq.Region)
	set("industry", dq.Industry)
	if dq.OwnerUserID != nil {
		v.Set("owner", dq.OwnerUserID.String())
	}
	set("sort", dq.Sort)
	if dq.Desc {
		v.Set("dir", "desc")
	}
	if dq.PerPage != partner.PerPageChoices[0] {
		v.Set("per", strconv.Itoa(dq.PerPage))
	}
	if dq.Page > 1 {
		v.Set("page", strconv.Itoa(dq.Page))
	}
	return v
}

func withQuery(path string, v url.Values) string {
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// filtered reports whether dq searches or filters anything.
func filtered(dq partner.DirectoryQuery) bool {
	return dq.Q != "" || dq.Type != "" || len(dq.Statuses) > 0 || dq.TierID != nil || dq.Region != "" ||
		dq.Industry != "" || dq.OwnerUserID != nil
}

var sortLabels = map[string]string{"name": "Name", "status": "Status", "tier": "Tier", "updated": "Last updated",
	"created": "Date added", "relevance": "Best match"}

// partnerList is the directory: search, filters, sorting and pagination.
func (s *Server) partnerList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	dq := directoryQuery(r.URL.Query())
	var page partner.DirectoryPage
	var tiers []partner.DirectoryTier
	var staff []tenant.Member
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if page, err = partner.Search(ctx, tx, sc.Tenant.ID, dq); err != nil {
			return err
		}
		if len(page.Partners) == 0 && page.Total > 0 { // past the last page: show the last
			dq.Page = page.Pages()
			if page, err = partner.Search(ctx, tx, sc.Tenant.ID, dq); err != nil {
				return err
			}
		}
		if tiers, err = partner.DirectoryTiers(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		staff, err = tenant.ListStaff(ctx, tx, sc.Tenant.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	base := "/t/" + sc.Tenant.Slug
	list := base + "/partners"
	d := view.PartnerListProps{
		Base: base, CanCreate: sc.Role.Can(auth.ManagePartners),
		Q: dq.Q, Type: dq.Type, Region: dq.Region, Industry: dq.Industry, Sort: dq.Sort, Dir: "asc",
		PerPage: strconv.Itoa(dq.PerPage), Types: typeOptions(), Selected: map[string]bool{},
		Filtered: filtered(dq), Total: page.Total, ClearURL: list,
	}
	if dq.Desc {
		d.Dir = "desc"
	}
	if dq.TierID != nil {
		d.Tier = dq.TierID.String()
	}
	if dq.OwnerUserID != nil {
		d.Owner = dq.OwnerUserID.String()
	}
	for _, st := range partner.Statuses {
		d.Statuses = append(d.Statuses, view.Option{Value: st, Label: view.StatusLabel(st)})
	}
	for _, st := range dq.Statuses {
		d.Selected[st] = true
	}
	for _, t := range tiers {
		d.Tiers = append(d.Tiers, view.Option{Value: t.ID.String(), Label: t.Name})
	}
	for _, m := range staff {
		name := m.Name
		if name == "" {
			name = m.Email
		}
		d.Owners = append(d.Owners, view.Option{Value: m.UserID.String(), Label: name})
	}
	for _, n := range partner.PerPageChoices {
		d.PerPages = append(d.PerPages, view.Option{Value: strconv.Itoa(n), Label: strconv.Itoa(n)})
	}
	for _, so := range partner.DirectorySorts {
		if so == "relevance" && partner.TSQuery(dq.Q) == "" {
			continue
		}
		d.Sorts = append(d.Sorts, view.Option{Value: so, Label: sortLabels[so]})
	}
	for _, c := range []struct{ label, sort string }{
		{"Name", "name"}, {"Model", ""}, {"Status", "status"}, {"Tier", "tier"}, {"Owner", ""}, {"Regions", ""}, {"Updated", "updated"},
	} {
		col := view.SortColumn{Label: c.label}
		if c.sort != "" {
			next := dq
			next.Page = 1
			// The sorted column flips; another starts ascending (newest first for dates).
			if dq.Sort == c.sort {
				next.Desc = !dq.Desc
				col.AriaSort = "ascending"
				if dq.Desc {
					col.AriaSort = "descending"
				}
			} else {
				next.Sort, next.Desc = c.sort, c.sort == "updated"
			}
			col.URL = withQuery(list, directoryValues(next))
		}
		d.Columns = append(d.Columns, col)
	}
	for _, p := range page.Partners {
		d.Partners = append(d.Partners, view.PartnerDirRow{ID: p.ID.String(), Name: p.Name, Domain: p.Domain,
			Type: partner.TypeLabels[p.Type], Status: p.Status, Tier: p.TierName, Owner: p.OwnerName,
			Regions: strings.Join(p.Regions, ", "), Updated: p.UpdatedAt.Format("2 Jan 2006")})
	}
	d.Pagination = view.PaginationProps{From: page.From(), To: page.To(), Total: page.Total, Label: "Partner pages"}
	if page.Page > 1 {
		prev := dq
		prev.Page = min(page.Page-1, page.Pages())
		d.Pagination.PrevURL = withQuery(list, directoryValues(prev))
	}
	if page.Page < page.Pages() {
		next := dq
		next.Page = page.Page + 1
		d.Pagination.NextURL = withQuery(list, directoryValues(next))
	}
	all := dq
	all.Page = 1
	d.CSVURL = withQuery(list+"/export.csv", directoryValues(all))
	s.render(w, r, http.StatusOK, view.PartnerListPage(s.page(r, "Partners", "partners"), d))
}

// partnerExportHeader are the columns of the directory's CSV export.
var partnerExportHeader = []string{"name", "domain", "model", "status", "tier", "owner", "positioning", "focus",
	"industries", "regions", "client sizes", "stages", "website", "created", "updated"}

// partnerExport downloads every partner matching the directory's filters,
// in its sort order (all pages), as CSV with formulas neutralised.
func (s *Server) partnerExport(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	dq := directoryQuery(r.URL.Query())
	dq.All = true
	var page partner.DirectoryPage
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		page, err = partner.Search(ctx, tx, sc.Tenant.ID, dq)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	csvout.Attach(w, csvout.Filename(sc.Tenant.Slug+"-partners", time.Now()))
	w.WriteHeader(http.StatusOK)
	cw, err := csvout.NewWriter(w, partnerExportHeader...)
	if err != nil {
		return // the client went away
	}
	for _, p := range page.Partners {
		if err := cw.Write(p.Name, p.Domain, partner.TypeLabels[p.Type], view.StatusLabel(p.Status), p.TierName, p.OwnerName,
			exportLabel(p.Positioning), exportLabel(p.Focus), csvout.Join(p.Industries), csvout.Join(p.Regions),
			csvout.Join(exportLabels(p.ClientSizes)), csvout.Join(exportLabels(p.Stages)), p.Website, p.CreatedAt.UTC().Format(time.RFC3339), p.UpdatedAt.UTC().Format(time.RFC3339)); err != nil {
			return
		}
	}
	if err := cw.Flush(); err != nil {
		s.Logger.Warn("partner export", "request_id", requestIDFrom(ctx), "err", err)
	}
}

// exportLabelText names the profile's fixed choices in the export.
var exportLabelText = map[string]string{
	"premium": "Premium", "mid_market": "Mid-market", "value": "Value",
	"specialist": "Specialist", "generalist": "Generalist",
	"solo": "Solo", "small": "Small", "mid-market": "Mid-market", "enterprise": "Enterprise",
	"idea": "Idea", "seed": "Seed", "series_a": "Series A", "series_b": "Series B", "growth": "Growth", "mature": "Mature",
}

func exportLabel(v string) string {
	if l, ok := exportLabelText[v]; ok {
		return l
	}
	return v
}

func exportLabels(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = exportLabel(v)
	}
	return out
}
