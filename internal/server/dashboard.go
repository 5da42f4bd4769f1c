package server

import (
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/agreement"
	"github.com/allyway/allyway/internal/alert"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/referral"
	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/web/view"
)

// dashboard is the firm's front page: where the program stands and what to
// do next.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	var st tenant.Stats
	var expiring, lapsed []agreement.Agreement
	var open, atRisk, conflicts map[string]int
	var alerts []alert.Alert
	var openAlerts int
	today := s.now()
	err := s.inStaff(r, func(tx pgx.Tx, sc *staffCtx) (err error) {
		if st, err = tenant.DashboardStats(r.Context(), tx, sc.Tenant.ID); err != nil {
			return err
		}
		if expiring, err = agreement.Expiring(r.Context(), tx, sc.Tenant.ID, today, agreement.RenewalReminderDays); err != nil {
			return err
		}
		if lapsed, err = agreement.Lapsed(r.Context(), tx, sc.Tenant.ID, today, 10); err != nil {
			return err
		}
		// The referrals that need someone: open ones by stage, those whose
		// clock is breached or about to be, and attribution conflicts.
		if open, err = referral.CountByStatus(r.Context(), tx, sc.Tenant.ID, referral.Filter{Open: true}); err != nil {
			return err
		}
		if atRisk, err = referral.CountByStatus(r.Context(), tx, sc.Tenant.ID, referral.Filter{AtRisk: true}); err != nil {
			return err
		}
		if conflicts, err = referral.CountByStatus(r.Context(), tx, sc.Tenant.ID, referral.Filter{ConflictsOnly: true, Open: true}); err != nil {
			return err
		}
		// The most pressing open alerts (alert.go).
		alerts, openAlerts, err = alert.Top(r.Context(), tx, sc.Tenant.ID, dashboardAlertCount)
		return err
	})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	sc := staffFrom(r.Context())
	props := view.DashboardProps{
		Base:            "/t/" + sc.Tenant.Slug,
		Partners:        st.Partners,
		ActivePartners:  st.ActivePartners,
		Staff:           st.Staff,
		PortalUsers:     st.PortalUsers,
		OpenInvitations: st.OpenInvitations,
		LiveTokens:      st.LiveTokens,
		CanAdmin:        sc.Role.Can(auth.ManageTeam),
		CanPartners:     sc.Role.Can(auth.ManagePartners),
	}
	for _, a := range expiring {
		days := int(a.EffectiveTo.Sub(agreement.Day(today)).Hours() / 24)
		when := "ends " + a.EffectiveTo.Format(agreement.DateFormat)
		switch {
		case days == 0:
			when += " (today)"
		case days == 1:
			when += " (tomorrow)"
		default:
			when += fmt.Sprintf(" (in %d days)", days)
		}
		if a.AutoRenew {
			when += ", renews by itself"
		}
		props.ExpiringAgreements = append(props.ExpiringAgreements, view.DashAgreement{Partner: a.PartnerName,
			URL: staffAgreementBase(sc, a.PartnerID), Version: a.Version, When: when})
	}
	for _, a := range lapsed {
		props.LapsedAgreements = append(props.LapsedAgreements, view.DashAgreement{Partner: a.PartnerName,
			URL: staffAgreementBase(sc, a.PartnerID), Version: a.Version,
			When: "ended " + a.EffectiveTo.Format(agreement.DateFormat)})
	}
	for _, k := range referral.Statuses {
		if k == referral.Won || k == referral.Lost || k == referral.Declined {
			continue
		}
		props.OpenReferrals += open[k]
		props.ReferralsByStage = append(props.ReferralsByStage, view.Count{Label: referral.StatusLabel(k), Key: k, N: open[k]})
	}
	props.AwaitingResponse = open[referral.Submitted]
	props.Alerts, props.OpenAlerts = dashboardAlerts(sc, alerts), openAlerts
	props.AtRisk = sum(atRisk)
	props.Conflicts = sum(conflicts)
	for _, k := range partner.Statuses {
		props.ByStatus = append(props.ByStatus, view.Count{Label: view.StatusLabel(k), Key: k, N: st.PartnersByStatus[k]})
	}
	s.render(w, r, http.StatusOK, view.DashboardPage(s.page(r, sc.Tenant.Name, "dashboard"), props))
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
