package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/web"
)

// routes is the whole HTTP surface. Chains, outermost first:
// observe (request id, log, metrics, recover) → security headers → body
// limit; then either the API (bearer token) or the browser chain:
// cross-origin protection → session → user → (signed in) → firm member → role.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(s.observe, s.securityHeaders, s.limitBody)
	r.NotFound(s.notFound)
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		s.renderError(w, r, http.StatusMethodNotAllowed, "That action isn't available here.")
	})

	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Handle("/metrics", s.metrics.handler())
	r.Handle("/static/*", web.StaticHandler())
	r.Get("/favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/static/favicon.svg", http.StatusMovedPermanently)
	})

	// JSON API v1: bearer tokens, problem+json, no cookies.
	r.Route("/api/v1", s.apiRoutes)

	// Browser pages.
	r.Group(func(r chi.Router) {
		r.Use(s.crossOrigin, s.sessions.LoadAndSave, markSession, s.loadUser, noStore)

		r.Get("/", s.root)
		r.Get("/login", s.showLogin)
		r.Post("/login", s.login)
		r.Get("/login/2fa", s.showLogin2FA)
		r.Post("/login/2fa", s.login2FA)
		r.Post("/logout", s.logout)
		r.Get("/signup", s.showSignup)
		r.Post("/signup", s.signup)
		s.passwordRoutes(r)   // password.go: forgot / reset
		s.invitationRoutes(r) // invitation.go: accept an invitation
		// survey.go: the client satisfaction survey behind an emailed link (no login)
		s.clientSurveyRoutes(r)

		r.Group(func(r chi.Router) {
			r.Use(s.requireUser)
			r.Get("/home", s.home)
			s.accountRoutes(r) // account.go: profile, password, two-factor
			if s.DevMail {
				r.Get("/dev/mail", s.devMailList)
				r.Get("/dev/mail/{id}", s.devMailShow)
			}

			r.Route("/t/{tenant}", func(r chi.Router) {
				r.Use(s.staffArea)
				r.Get("/", s.dashboard)
				s.staffRoutes(r)
			})
			r.Route("/p/{tenant}", func(r chi.Router) {
				r.Use(s.portalArea)
				r.Get("/", s.portalHome)
				s.portalTeamRoutes(r)       // portal_team.go: a partner admin's team
				s.portalReferralRoutes(r)   // portal_referral.go: submit, follow, answer outbound referrals
				s.portalAgreementRoutes(r)  // portal_agreement.go: read, accept or decline the agreement
				s.portalResourceRoutes(r)   // portal_resource.go: resources, hot profile, onboarding progress
				s.portalCommissionRoutes(r) // portal_commission.go: commissions, review status, payouts
				s.portalStatementRoutes(r)  // portal_statement.go: quarterly statements (HTML, PDF, CSV)
				s.portalTaxRoutes(r)        // portal_tax.go: the partner's tax details
				s.portalReviewRoutes(r)     // portal_review.go: the partner's reviews and its action items
				s.portalScorecardRoutes(r)  // portal_scorecard.go: the shared part of the partner's scorecard
				s.portalCampaignRoutes(r)   // portal_campaign.go: joint campaigns and their leads
				// portal_survey.go: the yearly partner satisfaction survey
				s.portalSurveyRoutes(r)
			})
		})
	})
	return r
}

// staffRoutes are the firm's pages under /t/{tenant}.
func (s *Server) staffRoutes(r chi.Router) {
	r.Route("/partners", func(r chi.Router) {
		r.Get("/", s.partnerList)   // partner_directory.go: search, filters, sorting, CSV export
		s.partnerDirectoryRoutes(r) // partner_directory.go
		s.partnerImportRoutes(r)    // partner_import.go: CSV import with preview
		r.With(s.requireCap(auth.ManagePartners)).Get("/new", s.partnerNew)
		r.With(s.requireCap(auth.ManagePartners)).Post("/", s.partnerCreate)
		r.Route("/{id}", func(r chi.Router) {
			r.Get("/", s.partnerShow)       // partner.go: the overview tab
			s.partnerScorecardRoutes(r)     // scorecard.go: the quarterly scorecard, its PDF
			s.partnerProfileRoutes(r)       // partner_profile.go: profile, lifecycle, contacts
			s.partnerFitRoutes(r)           // partner_fit.go: fit analysis and services covered
			s.partnerQualificationRoutes(r) // partner_qualification.go: scorecard, references, red flags, decision
			s.partnerAgreementRoutes(r)     // agreement.go: the Agreements tab, builder, versions and diff
			s.agreementDocumentRoutes(r)    // agreement_document.go: PDF (MOU, full) and print page
			s.partnerOnboardingRoutes(r)    // onboarding.go: the partner's onboarding checklist
			s.partnerReferralRoutes(r)      // referral.go: the partner's referrals tab
			s.partnerCommissionRoutes(r)    // commission.go: revenue, commission entries, balance
			s.partnerStatementRoutes(r)     // statement.go: the partner's quarterly statements
			s.partnerTaxRoutes(r)           // tax.go: the partner's tax details (masked)
			s.partnerReviewRoutes(r)        // review.go: the partner's reviews, one review, its calendar file
			// survey.go: client and partner satisfaction, recording a client's score
			s.partnerSatisfactionRoutes(r)
		})
	})
	s.recruitingRoutes(r) // recruiting.go: the recruiting board and the year's goal
	s.serviceRoutes(r)    // service.go: the service map, the gap log and its report
	s.referralRoutes(r)   // referral.go: board, list, referral page, outbound, conflicts, at risk
	s.agreementRoutes(r)  // agreement.go: every partner's agreement, renewals
	s.enablementRoutes(r) // enablement.go: the enablement library and hot opportunity profiles
	s.reviewRoutes(r)     // review.go: reviews overdue, due soon and scheduled
	s.programRoutes(r)    // program.go: the program dashboard
	s.campaignRoutes(r)   // campaign.go: co-marketing campaigns, leads, attendee import
	s.importRoutes(r)     // import.go: the one CSV import flow (upload, preview, confirm)
	s.benchRoutes(r)      // bench_ceiling.go: the ceiling page, only with ALLYWAY_BENCH_ROUTES=1
	s.alertRoutes(r)      // alert.go: alerts (open, resolved, run the checks); program_input.go: program inputs
	r.Route("/commissions", func(r chi.Router) {
		s.commissionAreaRoutes(r) // payout.go: review, payouts, owed to us
		s.statementRoutes(r)      // statement.go: statements by quarter, generate
		s.taxRoutes(r)            // tax.go: the yearly tax (1099) summary and export
		s.revenueImportRoutes(r)  // revenue_import.go: client payments from CSV
	})
	r.Route("/settings", func(r chi.Router) {
		r.Use(s.requireCap(auth.ManageSettings))
		s.teamRoutes(r)               // team.go: staff, portal users, invitations
		s.tokenRoutes(r)              // token.go: API tokens
		s.securityRoutes(r)           // security.go: two-factor policy
		s.firmProfileRoutes(r)        // firm_profile.go: ideal client profile, positioning, recruiting goal
		s.tierRoutes(r)               // tier.go: tiers
		s.criteriaRoutes(r)           // criteria.go: qualification criteria and weights
		s.agreementSettingsRoutes(r)  // agreement_settings.go: agreement templates, profession policy pack
		s.onboardingSettingsRoutes(r) // onboarding.go: the onboarding checklist template
		s.referralSettingsRoutes(r)   // referral_settings.go: SLA, attribution, referral checklist
		s.commissionSettingsRoutes(r) // payout.go: minimum payout
		s.webhookSettingsRoutes(r)    // webhook.go: webhook subscriptions, delivery log, redelivery
		r.Get("/audit", s.auditList)
	})
}
