package server

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/campaign"
	"github.com/allyway/allyway/web/view"
)

// The attendee list import of a campaign: upload → preview with each row's
// problems → confirm, which writes every new row in one transaction or
// nothing. Like the partner import, nothing is kept on the server between
// the two: the file comes back with the confirmation (gzip, base64), is
// parsed again inside the writing transaction and must give the previewed
// plan (its hash). The file limit keeps the upload and the confirmation
// under the request body limit, so no shared limit changes.

// campaignImportPreviewRows is how many rows without problems the preview lists.
const campaignImportPreviewRows = 200

func (s *Server) campaignImportRoutes(r chi.Router) {
	r.Get("/import", s.campaignImportForm)
	r.Post("/import/preview", s.campaignImportPreview)
	r.Post("/import/confirm", s.campaignImportConfirm)
}

func (s *Server) renderCampaignImport(w http.ResponseWriter, r *http.Request, status int, c campaign.Campaign, owner, msg string) {
	slug := staffFrom(r.Context()).Tenant.Slug
	d := view.CampaignImportProps{CampaignName: c.Name, CampaignURL: campaignPath(slug, c.ID), Action: campaignPath(slug, c.ID) + "/import/preview",
		Owner: owner, OwnerOpts: ownerOptions(c, staffFrom(r.Context()).Tenant.Name), MaxSize: campaign.ImportMaxSize, MaxRows: campaign.ImportMaxRows}
	if msg != "" {
		d.Form = view.Form{Errors: view.FieldErrors{"file": msg}, NonField: []string{msg}}
	}
	s.render(w, r, status, view.CampaignImportPage(s.page(r, "Import attendees", "campaigns"), d))
}

// campaignImportForm is the upload form.
func (s *Server) campaignImportForm(w http.ResponseWriter, r *http.Request) {
	c, err := s.inCampaign(r, func(pgx.Tx, *staffCtx, campaign.Campaign) error { return nil })
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderCampaignImport(w, r, http.StatusOK, c, "us", "")
}

// importOwner reads the owner of the imported leads ("us" or a partner of
// the campaign); ok false for anything else.
func importOwner(c campaign.Campaign, v string) (string, bool) {
	id, ok := campaign.ParseOwner(v)
	if !ok || (id != nil && !c.HasPartner(*id)) {
		return "", false
	}
	return ownerFormValue(id), true
}

// campaignImportPreview parses the upload and shows what confirming would
// do. It writes nothing.
func (s *Server) campaignImportPreview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var data []byte
	var owner string
	var plan campaign.ImportPlan
	var formMsg string
	c, err := s.inCampaign(r, func(tx pgx.Tx, sc *staffCtx, c campaign.Campaign) error {
		err := r.ParseMultipartForm(1 << 20)
		if errors.Is(err, http.ErrNotMultipart) {
			err = r.ParseForm()
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			formMsg = "The file is over " + campaign.ImportMaxSize + ". Split it into smaller files and import them one after the other."
			return nil
		}
		if err != nil {
			return err
		}
		if r.MultipartForm != nil {
			defer func() { _ = r.MultipartForm.RemoveAll() }()
		}
		var ok bool
		if owner, ok = importOwner(c, r.PostForm.Get("owner")); !ok {
			owner, formMsg = "us", "Choose who follows the new leads up: us or one of the campaign's partners."
			return nil
		}
		file, _, ferr := r.FormFile("file")
		if ferr != nil {
			formMsg = "Choose the attendee list (a CSV file)."
			return nil
		}
		defer file.Close()
		if data, err = io.ReadAll(io.LimitReader(file, campaign.ImportMaxBytes+1)); err != nil {
			return err
		}
		existing, err := campaign.ExistingEmails(ctx, tx, sc.Tenant.ID, c.ID)
		if err != nil {
			return err
		}
		plan, err = campaign.ParseAttendees(data, existing)
		var ie *campaign.ImportError
		if errors.As(err, &ie) {
			formMsg = capitalise(ie.Error()) + "."
			return nil
		}
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if formMsg != "" {
		s.renderCampaignImport(w, r, http.StatusUnprocessableEntity, c, orText(owner, "us"), formMsg)
		return
	}
	packed, err := packAttendees(data)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderCampaignImportPreview(w, r, http.StatusOK, c, plan, packed, owner, "")
}

// campaignImportConfirm parses the previewed file again and writes its new
// rows in one transaction, or nothing.
func (s *Server) campaignImportConfirm(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var plan campaign.ImportPlan
	var packed, owner, formMsg string
	n := 0
	changed := errors.New("the plan changed since the preview")
	c, err := s.inCampaign(r, func(tx pgx.Tx, sc *staffCtx, c campaign.Campaign) error {
		if err := r.ParseForm(); err != nil {
			return err
		}
		packed = r.PostForm.Get("data")
		var ok bool
		if owner, ok = importOwner(c, r.PostForm.Get("owner")); !ok {
			formMsg = "Choose who follows the new leads up: us or one of the campaign's partners."
			return nil
		}
		data, err := unpackAttendees(packed)
		if err != nil {
			formMsg = "The previewed file could not be read back. Upload it again."
			return nil
		}
		if err := campaign.LockImport(ctx, tx, sc.Tenant.ID, c.ID); err != nil {
			return err
		}
		existing, err := campaign.ExistingEmails(ctx, tx, sc.Tenant.ID, c.ID)
		if err != nil {
			return err
		}
		if plan, err = campaign.ParseAttendees(data, existing); err != nil {
			formMsg = "The previewed file could not be read back. Upload it again."
			return nil
		}
		if plan.Hash() != r.PostForm.Get("hash") || plan.New() == 0 {
			return changed
		}
		ownerID, _ := campaign.ParseOwner(owner)
		n, err = campaign.ApplyImport(ctx, tx, sc.Tenant.ID, c, ownerID, plan, actorID(r))
		return err
	})
	switch {
	case errors.Is(err, changed):
		notice := "The campaign's leads changed since the preview (someone added leads, or this file was imported already). Check the preview and confirm again."
		if plan.New() == 0 {
			notice = "There is nothing left to import: every row has errors or is already a lead."
		}
		s.renderCampaignImportPreview(w, r, http.StatusConflict, c, plan, packed, owner, notice)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	case formMsg != "":
		s.renderCampaignImport(w, r, http.StatusUnprocessableEntity, c, orText(owner, "us"), formMsg)
		return
	}
	s.flash(r, "success", "Imported "+leadCount(n, "lead", "leads")+".")
	redirect(w, r, campaignPath(staffFrom(ctx).Tenant.Slug, c.ID)+"#leads")
}

// renderCampaignImportPreview shows the plan.
func (s *Server) renderCampaignImportPreview(w http.ResponseWriter, r *http.Request, status int, c campaign.Campaign,
	plan campaign.ImportPlan, packed, owner, notice string) {
	sc := staffFrom(r.Context())
	slug := sc.Tenant.Slug
	ownerL := sc.Tenant.Name + " follows up"
	if id, _ := campaign.ParseOwner(owner); id != nil {
		ownerL = c.PartnerName(*id) + " follows up"
	}
	d := view.CampaignImportPreviewProps{CampaignName: c.Name, CampaignURL: campaignPath(slug, c.ID),
		Action: campaignPath(slug, c.ID) + "/import/confirm", BackURL: campaignPath(slug, c.ID) + "/import", Data: packed,
		Hash: plan.Hash(), Owner: owner, OwnerL: ownerL, Notice: notice, New: plan.New(), Errors: plan.ErrorRows(),
		Existing: plan.ExistingRows(), Ignored: plan.Ignored}
	var parts []string
	if d.New == 0 {
		parts = append(parts, "Nothing will be added")
	} else {
		parts = append(parts, leadCount(d.New, "lead", "leads")+" will be added")
	}
	if d.Errors > 0 {
		parts = append(parts, fmt.Sprintf("%s with errors will not be imported", leadCount(d.Errors, "row", "rows")))
	}
	if d.Existing > 0 {
		parts = append(parts, fmt.Sprintf("%s already on the campaign will be skipped", leadCount(d.Existing, "person", "people")))
	}
	d.Summary = strings.Join(parts, "; ") + "."
	fine := 0
	for _, row := range plan.Rows {
		pr := view.CampaignImportRow{Line: row.Line, Name: row.Lead.Name, Email: row.Lead.Email, Company: row.Lead.Company,
			Errors: row.Errors}
		if pr.Name == "" {
			pr.Name = row.Input.Name
		}
		if pr.Email == "" {
			pr.Email = row.Input.Email
		}
		switch {
		case len(row.Errors) > 0:
			pr.Outcome, pr.Tone = "Not imported", "danger"
		case row.Existing:
			pr.Outcome, pr.Tone = "Skipped: already a lead", "warning"
		default:
			pr.Outcome, pr.Tone = "New lead", "success"
			if fine >= campaignImportPreviewRows {
				d.Hidden++
				continue
			}
			fine++
		}
		d.Rows = append(d.Rows, pr)
	}
	s.render(w, r, status, view.CampaignImportPreviewPage(s.page(r, "Import attendees: preview", "campaigns"), d))
}

// packAttendees compresses the file for the preview's hidden field.
func packAttendees(data []byte) (string, error) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b.Bytes()), nil
}

// unpackAttendees reverses packAttendees, reading no more than an import may be.
func unpackAttendees(s string) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(zr, campaign.ImportMaxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > campaign.ImportMaxBytes || len(data) == 0 {
		return nil, fmt.Errorf("attendee list of %d bytes", len(data))
	}
	return data, nil
}

// leadCount is "1 lead", "3 leads".
func leadCount(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// capitalise upper-cases the first letter of a message.
func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
