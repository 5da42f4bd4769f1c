package server

import (
	"context"
	"mime"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/agreement"
	"github.com/allyway/allyway/internal/apperr"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/web/view"
)

// agreementDocumentRoutes are the documents of one version of the {id}
// partner's agreement, for every staff member: the one-page MOU and the
// full agreement as PDF, and the print-friendly page. The version must be
// the partner's ({aid} of another partner or firm is not found). Drafts
// show too, marked as drafts, so staff can review them before sending.
func (s *Server) agreementDocumentRoutes(r chi.Router) {
	r.Get("/agreements/{aid}/mou.pdf", s.staffAgreementPDF("mou"))
	r.Get("/agreements/{aid}/full.pdf", s.staffAgreementPDF("full"))
	r.Get("/agreements/{aid}/print", s.staffAgreementPrint)
}

// staffAgreementVersion loads the {aid} version of the {id} partner.
func (s *Server) staffAgreementVersion(r *http.Request) (*staffCtx, partner.Partner, agreement.Agreement, error) {
	var a agreement.Agreement
	p, err := s.inPartner(r, func(tx pgx.Tx, sc *staffCtx, p partner.Partner) error {
		aid, err := idParam(r, "aid")
		if err != nil {
			return err
		}
		a, err = partnerVersion(r.Context(), tx, sc.Tenant.ID, p.ID, aid)
		return err
	})
	return staffFrom(r.Context()), p, a, err
}

// partnerVersion returns the version id of the partner; ENotFound when it
// is another partner's (or firm's).
func partnerVersion(ctx context.Context, tx pgx.Tx, tenantID, partnerID, id uuid.UUID) (agreement.Agreement, error) {
	a, err := agreement.Get(ctx, tx, tenantID, id)
	if err != nil {
		return a, err
	}
	if a.PartnerID != partnerID {
		return agreement.Agreement{}, apperr.NotFound("Agreement")
	}
	return a, nil
}

func staffAgreementBase(sc *staffCtx, partnerID uuid.UUID) string {
	return "/t/" + sc.Tenant.Slug + "/partners/" + partnerID.String() + "/agreements"
}

func (s *Server) staffAgreementPDF(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sc, p, a, err := s.staffAgreementVersion(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.writeAgreementPDF(w, r, a, kind, sc.Tenant.Name, p.Name)
	}
}

func (s *Server) staffAgreementPrint(w http.ResponseWriter, r *http.Request) {
	sc, p, a, err := s.staffAgreementVersion(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	base := staffAgreementBase(sc, p.ID)
	s.renderAgreementPrint(w, r, a, sc.Tenant.Name, p.Name, base+"/"+a.ID.String(), base)
}

// writeAgreementPDF answers the version as a PDF download ("mou" or
// "full") with a file name made of the parties' names.
func (s *Server) writeAgreementPDF(w http.ResponseWriter, r *http.Request, a agreement.Agreement, kind, firmName, partnerName string) {
	var b []byte
	var err error
	if kind == "mou" {
		b, err = agreement.MOUPDF(a, firmName, partnerName)
	} else {
		b, err = agreement.FullPDF(a, firmName, partnerName)
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	name := agreement.DocumentFileName(firmName, partnerName, a.Version, kind)
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

func (s *Server) renderAgreementPrint(w http.ResponseWriter, r *http.Request, a agreement.Agreement, firmName, partnerName, docBase, back string) {
	s.render(w, r, http.StatusOK, view.AgreementPrintPage(view.AgreementPrintProps{
		Doc: agreementDoc(a, firmName, partnerName, docBase), FirmName: firmName, PartnerName: partnerName,
		BackURL: back, PrintedOn: s.now().UTC().Format("2 January 2006"),
	}))
}

// agreementDoc is the version as people read it, with its document links
// under docBase (…/agreements/{aid} in the staff app, …/agreement/{aid} in
// the portal).
func agreementDoc(a agreement.Agreement, firmName, partnerName, docBase string) view.AgreementDoc {
	d := view.AgreementDoc{
		ID: a.ID.String(), Version: a.Version, Status: string(a.Status), StatusLabel: a.Status.Label(),
		Title: a.Title, Model: agreement.ModelLabels[a.Model], InForce: inForceLine(a),
		Acceptance: agreement.AcceptanceText(a), Accepted: a.AcceptedAt != nil,
		MOUURL: docBase + "/mou.pdf", FullURL: docBase + "/full.pdf", PrintURL: docBase + "/print",
	}
	if a.SentAt != nil {
		d.Sent = a.SentAt.UTC().Format("2 January 2006")
	}
	for _, sec := range agreement.FullSections(a, firmName, partnerName) {
		vs := view.DocSection{Heading: sec.Heading}
		for _, c := range sec.Clauses {
			vs.Clauses = append(vs.Clauses, view.DocClause{Label: c.Label, Text: c.Text})
		}
		d.Sections = append(d.Sections, vs)
	}
	return d
}

// inForceLine says when a version is, was or would be in force.
func inForceLine(a agreement.Agreement) string {
	const f = "2 January 2006"
	span := "from " + a.EffectiveFrom.Format(f)
	if a.EffectiveTo != nil {
		span += " to " + a.EffectiveTo.Format(f)
	} else {
		span += ", with no fixed end"
	}
	switch a.Status {
	case agreement.StatusActive:
		return "In force " + span + "."
	case agreement.StatusSuperseded, agreement.StatusExpired, agreement.StatusTerminated:
		return "Was in force " + span + "."
	case agreement.StatusDeclined:
		return "Declined; it would have been in force " + span + "."
	default:
		return "It would be in force " + span + "."
	}
}
