package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/audit"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/web/view"
)

// partnerProfileRoutes are a partner's profile, lifecycle and contacts,
// under /t/{tenant}/partners/{id}. Every handler resolves the partner (and
// the contact) within the firm before it reads the form, so another firm's
// ids answer 404.
func (s *Server) partnerProfileRoutes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(s.requireCap(auth.ManagePartners))
		r.Get("/edit", s.partnerEdit)
		r.Post("/edit", s.partnerUpdate)
		r.Post("/status", s.partnerMoveStatus)
		r.Post("/contacts", s.contactCreate)
		r.Get("/contacts/{contact}/edit", s.contactEdit)
		r.Post("/contacts/{contact}/edit", s.contactUpdate)
		r.Post("/contacts/{contact}/depart", s.contactDepart)
		r.Post("/contacts/{contact}/primary", s.contactPrimary)
	})
}

// ---- view helpers ----

func labelsOf(vs []string) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		if l, ok := partner.ProfileLabels[v]; ok {
			out = append(out, l)
		} else {
			out = append(out, v)
		}
	}
	return out
}

func profileOptions(vs []string) []view.Option {
	out := make([]view.Option, 0, len(vs))
	for _, v := range vs {
		out = append(out, view.Option{Value: v, Label: partner.ProfileLabels[v]})
	}
	return out
}

func partnerFacts(p partner.Partner) view.PartnerFacts {
	return view.PartnerFacts{Website: p.Website, Positioning: partner.ProfileLabels[p.Positioning],
		Focus: partner.ProfileLabels[p.Focus], Industries: p.Industries, ClientSizes: labelsOf(p.ClientSizes),
		Stages: labelsOf(p.Stages), Regions: p.Regions, Owner: p.OwnerName, Notes: p.Notes}
}

// lifecycleProps fills the lifecycle panel; kept (when not nil) carries a
// rejected move's input and errors.
func lifecycleProps(p partner.Partner, history []partner.StatusChange, kept *view.LifecycleProps) view.LifecycleProps {
	l := view.LifecycleProps{Status: p.Status}
	if kept != nil {
		l.Form, l.To, l.Reason = kept.Form, kept.To, kept.Reason
	}
	for _, to := range partner.Moves(p.Status) {
		l.Moves = append(l.Moves, view.Option{Value: to, Label: partner.StatusLabels[to]})
	}
	for _, h := range history {
		who := h.ActorName
		if who == "" {
			who = "API or system"
		}
		l.History = append(l.History, view.StatusChangeRow{When: h.At.UTC().Format("2 Jan 2006 15:04 UTC"), Who: who,
			From: h.From, To: h.To, Reason: h.Reason})
	}
	return l
}

func contactLevelOptions() []view.Option {
	out := make([]view.Option, 0, len(partner.ContactLevels))
	for _, l := range partner.ContactLevels {
		out = append(out, view.Option{Value: l, Label: partner.ContactLevelLabels[l]})
	}
	return out
}

func contactRow(c partner.Contact) view.ContactRow {
	row := view.ContactRow{ID: c.ID.String(), Name: c.Name, Email: c.Email, Phone: c.Phone, Title: c.Title,
		Level: partner.ContactLevelLabels[c.Level], Primary: c.IsPrimary && c.Active(), Note: c.DepartureNote}
	if c.DepartedAt != nil {
		row.Departed = c.DepartedAt.UTC().Format("2 Jan 2006")
	}
	return row
}

// contactsPanel fills the contacts panel; kept (when not nil) is the add
// form as the person filled it.
func contactsPanel(base string, cs []partner.Contact, risk []string, kept *view.ContactFormProps) view.ContactsPanelProps {
	panel := view.ContactsPanelProps{Risk: risk,
		Add: view.ContactFormProps{Base: base, Level: "other", Levels: contactLevelOptions()}}
	if kept != nil {
		panel.Add = *kept
	}
	for _, c := range cs {
		if c.Active() {
			panel.Current = append(panel.Current, contactRow(c))
		} else {
			panel.Former = append(panel.Former, contactRow(c))
		}
	}
	return panel
}

func contactInputFrom(r *http.Request) partner.ContactInput {
	return partner.ContactInput{Name: r.PostForm.Get("name"), Email: r.PostForm.Get("email"), Phone: r.PostForm.Get("phone"),
		Title: r.PostForm.Get("title"), Level: r.PostForm.Get("level"), Primary: r.PostForm.Get("primary") != ""}
}

func contactFormFrom(base string, id string, in partner.ContactInput, form view.Form) view.ContactFormProps {
	return view.ContactFormProps{Form: form, Base: base, ID: id, Name: in.Name, Email: in.Email, Phone: in.Phone,
		Title: in.Title, Level: in.Level, Primary: in.Primary, Levels: contactLevelOptions()}
}

// ---- profile ----

// partnerEditProps fills the profile form from a profile.
func partnerEditProps(sc *staffCtx, p partner.Partner, pr partner.Profile, staff []tenant.Member) view.PartnerEditProps {
	base := "/t/" + sc.Tenant.Slug + "/partners/" + p.ID.String()
	d := view.PartnerEditProps{Header: partnerHeader(sc, p, "overview"), Action: base + "/edit", Cancel: base,
		Name: pr.Name, Domain: pr.Domain, Website: pr.Website, Type: pr.Type, Positioning: pr.Positioning, Focus: pr.Focus,
		Industries: strings.Join(pr.Industries, ", "), Regions: strings.Join(pr.Regions, ", "),
		ClientSizes: pr.ClientSizes, Stages: pr.Stages, Notes: pr.Notes,
		Types: typeOptions(), Positionings: profileOptions(partner.ProfilePositionings),
		Focuses: profileOptions(partner.ProfileFocuses), SizeOptions: profileOptions(partner.ProfileClientSizes),
		StageOptions: profileOptions(partner.ProfileStages)}
	if pr.OwnerUserID != nil {
		d.Owner = pr.OwnerUserID.String()
	}
	for _, m := range staff {
		if m.Disabled && (pr.OwnerUserID == nil || *pr.OwnerUserID != m.UserID) {
			continue
		}
		d.Owners = append(d.Owners, view.Option{Value: m.UserID.String(), Label: m.Name + " (" + m.Email + ")"})
	}
	return d
}

// partnerEdit shows the profile form.
func (s *Server) partnerEdit(w http.ResponseWriter, r *http.Request) {
	var staff []tenant.Member
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		staff, err = tenant.ListStaff(r.Context(), tx, sc.Tenant.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(r.Context())
	s.render(w, r, http.StatusOK, view.PartnerEditPage(s.page(r, p.Name, "partners"),
		partnerEditProps(sc, p, partner.ProfileOf(p), staff)))
}

// partnerUpdate saves the profile. Bad input re-shows the form (422) with
// the input kept; a domain another partner has is warned about until
// "save anyway" is ticked.
func (s *Server) partnerUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	var p partner.Partner
	var staff []tenant.Member
	var pr partner.Profile
	var formErr error
	err = s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if p, err = partner.Get(ctx, tx, sc.Tenant.ID, id); err != nil {
			return err
		}
		if staff, err = tenant.ListStaff(ctx, tx, sc.Tenant.ID); err != nil {
			return err
		}
		if err := r.ParseForm(); err != nil {
			return err
		}
		f := r.PostForm
		pr = partner.Profile{Name: f.Get("name"), Domain: f.Get("domain"), Website: f.Get("website"), Type: f.Get("type"),
			Positioning: f.Get("positioning"), Focus: f.Get("focus"),
			Industries: partner.SplitTags(f.Get("industries")), Regions: partner.SplitTags(f.Get("regions")),
			ClientSizes: f["client_sizes"], Stages: f["stages"], Notes: f.Get("notes")}
		ownerErr := ""
		if o := strings.TrimSpace(f.Get("owner_user_id")); o != "" {
			if uid, err := uuid.Parse(o); err == nil {
				pr.OwnerUserID = &uid
			} else {
				ownerErr = "Choose someone on the firm's staff."
			}
		}
		if err := pr.Validate(); err != nil || ownerErr != "" {
			fields := apperr.FieldErrors(err)
			if fields == nil {
				fields = map[string]string{}
			}
			if ownerErr != "" {
				fields["owner_user_id"] = ownerErr
			}
			formErr = apperr.Invalid(fields)
			return nil
		}
		// Warn only when the domain changes to one another partner has.
		if pr.Domain != p.Domain {
			if err := checkDuplicateDomain(ctx, tx, sc.Tenant.ID, pr.Domain, p.ID, f.Get("save_anyway") != ""); err != nil {
				formErr = err
				return nil
			}
		}
		// The saved partner goes in its own variable: on a refused update
		// the form is re-shown with the partner as loaded.
		saved, err := partner.UpdateProfile(ctx, tx, sc.Tenant.ID, p.ID, pr)
		if err != nil {
			if apperr.Code(err) == apperr.EInvalid {
				formErr = err
				return nil
			}
			return err
		}
		before := p
		p = saved
		return audit.Record(ctx, tx, sc.Tenant.ID, "partner.updated", "partner", p.ID.String(),
			map[string]any{"name": p.Name, "changed": profileChanges(before, p)})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	if formErr != nil {
		d := partnerEditProps(sc, p, pr, staff)
		if dup, form := duplicateView("/t/"+sc.Tenant.Slug, formErr); dup != nil {
			d.Duplicate, d.Form = dup, form
		} else if apperr.Code(formErr) == apperr.EInvalid {
			d.Form = formErrors(formErr)
		} else {
			s.fail(w, r, formErr)
			return
		}
		d.Owner = r.PostForm.Get("owner_user_id")
		s.render(w, r, http.StatusUnprocessableEntity, view.PartnerEditPage(s.page(r, p.Name, "partners"), d))
		return
	}
	s.flash(r, "success", "The profile of "+p.Name+" was saved.")
	redirect(w, r, "/t/"+sc.Tenant.Slug+"/partners/"+p.ID.String())
}

// profileChanges names the profile fields that differ (for the audit log).
func profileChanges(a, b partner.Partner) []string {
	eq := func(x, y []string) bool { return strings.Join(x, "\x00") == strings.Join(y, "\x00") }
	idStr := func(u *uuid.UUID) string {
		if u == nil {
			return ""
		}
		return u.String()
	}
	out := []string{}
	for _, c := range []struct {
		name    string
		changed bool
	}{
		{"name", a.Name != b.Name}, {"domain", a.Domain != b.Domain}, {"website", a.Website != b.Website},
		{"type", a.Type != b.Type}, {"positioning", a.Positioning != b.Positioning}, {"focus", a.Focus != b.Focus},
		{"industries", !eq(a.Industries, b.Industries)}, {"client_sizes", !eq(a.ClientSizes, b.ClientSizes)},
		{"stages", !eq(a.Stages, b.Stages)}, {"regions", !eq(a.Regions, b.Regions)},
		{"owner_user_id", idStr(a.OwnerUserID) != idStr(b.OwnerUserID)}, {"notes", a.Notes != b.Notes},
	} {
		if c.changed {
			out = append(out, c.name)
		}
	}
	return out
}

// ---- lifecycle ----

// partnerMoveStatus moves the partner to another lifecycle status (POST
// /status: status, reason). An illegal move re-shows the overview (422)
// with the reason why.
func (s *Server) partnerMoveStatus(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var to, reason string
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		if err := r.ParseForm(); err != nil {
			return err
		}
		to, reason = r.PostForm.Get("status"), r.PostForm.Get("reason")
		change, err := partner.MoveStatus(ctx, tx, sc.Tenant.ID, p.ID, to, reason, userFrom(ctx).ID)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "partner.status_changed", "partner", p.ID.String(),
			map[string]any{"name": p.Name, "from": change.From, "to": change.To, "reason": change.Reason})
	})
	if apperr.Code(err) == apperr.EInvalid {
		s.renderOverview(w, r, http.StatusUnprocessableEntity, overviewForms{
			Lifecycle: &view.LifecycleProps{Form: formErrors(err), To: to, Reason: reason}})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	s.flash(r, "success", p.Name+" is now "+strings.ToLower(partner.StatusLabels[to])+".")
	redirect(w, r, "/t/"+sc.Tenant.Slug+"/partners/"+p.ID.String()+"#lifecycle")
}

// ---- contacts ----

// contactCreate adds a contact (POST /contacts); bad input re-shows the
// overview with the add form kept (422).
func (s *Server) contactCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var in partner.ContactInput
	var c partner.Contact
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		if err := r.ParseForm(); err != nil {
			return err
		}
		in = contactInputFrom(r)
		if c, err = partner.AddContact(ctx, tx, sc.Tenant.ID, p.ID, in); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "contact.added", "partner_contact", c.ID.String(),
			map[string]any{"partner_id": p.ID, "name": c.Name, "level": c.Level, "primary": c.IsPrimary})
	})
	sc := staffFrom(ctx)
	base := "/t/" + sc.Tenant.Slug + "/partners/" + p.ID.String()
	if apperr.Code(err) == apperr.EInvalid {
		f := contactFormFrom(base, "", in, formErrors(err))
		s.renderOverview(w, r, http.StatusUnprocessableEntity, overviewForms{Contact: &f})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", c.Name+" was added.")
	redirect(w, r, base+"#contacts")
}

// renderContactEdit shows the contact edit page.
func (s *Server) renderContactEdit(w http.ResponseWriter, r *http.Request, status int, p partner.Partner, f view.ContactFormProps) {
	sc := staffFrom(r.Context())
	if f.Depart.On == "" {
		f.Depart.On = time.Now().UTC().Format("2006-01-02")
	}
	s.render(w, r, status, view.ContactEditPage(s.page(r, p.Name, "partners"), partnerHeader(sc, p, "overview"), f))
}

func contactFormOf(base string, c partner.Contact) view.ContactFormProps {
	f := contactFormFrom(base, c.ID.String(), partner.ContactInput{Name: c.Name, Email: c.Email, Phone: c.Phone,
		Title: c.Title, Level: c.Level, Primary: c.IsPrimary}, view.Form{})
	f.Departed = !c.Active()
	return f
}

// contactEdit shows a contact's edit and departure forms.
func (s *Server) contactEdit(w http.ResponseWriter, r *http.Request) {
	cid, err := idParam(r, "contact")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var c partner.Contact
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		c, err = partner.GetContact(r.Context(), tx, sc.Tenant.ID, p.ID, cid)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(r.Context())
	s.renderContactEdit(w, r, http.StatusOK, p, contactFormOf("/t/"+sc.Tenant.Slug+"/partners/"+p.ID.String(), c))
}

// contactUpdate saves a contact's details.
func (s *Server) contactUpdate(w http.ResponseWriter, r *http.Request) {
	cid, err := idParam(r, "contact")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	var c partner.Contact
	var in partner.ContactInput
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		if c, err = partner.GetContact(ctx, tx, sc.Tenant.ID, p.ID, cid); err != nil {
			return err
		}
		if err := r.ParseForm(); err != nil {
			return err
		}
		in = contactInputFrom(r)
		updated, err := partner.UpdateContact(ctx, tx, sc.Tenant.ID, p.ID, c.ID, in)
		if err != nil {
			return err
		}
		c = updated
		return audit.Record(ctx, tx, sc.Tenant.ID, "contact.updated", "partner_contact", c.ID.String(),
			map[string]any{"partner_id": p.ID, "name": c.Name, "level": c.Level, "primary": c.IsPrimary})
	})
	sc := staffFrom(ctx)
	base := "/t/" + sc.Tenant.Slug + "/partners/" + p.ID.String()
	if apperr.Code(err) == apperr.EInvalid {
		f := contactFormFrom(base, c.ID.String(), in, formErrors(err))
		f.Departed = !c.Active()
		s.renderContactEdit(w, r, http.StatusUnprocessableEntity, p, f)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", c.Name+" was saved.")
	redirect(w, r, base+"#contacts")
}

// contactDepart marks a contact as departed (departed_on, note).
func (s *Server) contactDepart(w http.ResponseWriter, r *http.Request) {
	cid, err := idParam(r, "contact")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	var c partner.Contact
	var on, note string
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		if c, err = partner.GetContact(ctx, tx, sc.Tenant.ID, p.ID, cid); err != nil {
			return err
		}
		if err := r.ParseForm(); err != nil {
			return err
		}
		on, note = strings.TrimSpace(r.PostForm.Get("departed_on")), r.PostForm.Get("note")
		var day time.Time
		if on != "" {
			if day, err = time.Parse("2006-01-02", on); err != nil {
				return apperr.Invalid(map[string]string{"departed_on": "Enter a date like 2026-03-31."})
			}
		}
		departed, err := partner.DepartContact(ctx, tx, sc.Tenant.ID, p.ID, c.ID, day, note)
		if err != nil {
			return err
		}
		c = departed
		return audit.Record(ctx, tx, sc.Tenant.ID, "contact.departed", "partner_contact", c.ID.String(),
			map[string]any{"partner_id": p.ID, "name": c.Name, "departed_on": on, "note": c.DepartureNote})
	})
	sc := staffFrom(ctx)
	base := "/t/" + sc.Tenant.Slug + "/partners/" + p.ID.String()
	if apperr.Code(err) == apperr.EInvalid {
		f := contactFormOf(base, c)
		f.Depart = view.DepartFormProps{Form: formErrors(err), On: on, Note: note}
		s.renderContactEdit(w, r, http.StatusUnprocessableEntity, p, f)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.flash(r, "success", c.Name+" is now listed as a former contact.")
	redirect(w, r, base+"#contacts")
}

// contactPrimary makes a current contact the primary one.
func (s *Server) contactPrimary(w http.ResponseWriter, r *http.Request) {
	cid, err := idParam(r, "contact")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	var c partner.Contact
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) (err error) {
		found, err := partner.GetContact(ctx, tx, sc.Tenant.ID, p.ID, cid)
		if err != nil {
			return err
		}
		if c, err = partner.MakePrimary(ctx, tx, sc.Tenant.ID, p.ID, found.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, sc.Tenant.ID, "contact.made_primary", "partner_contact", c.ID.String(),
			map[string]any{"partner_id": p.ID, "name": c.Name})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := staffFrom(ctx)
	s.flash(r, "success", c.Name+" is now the primary contact.")
	redirect(w, r, "/t/"+sc.Tenant.Slug+"/partners/"+p.ID.String()+"#contacts")
}
