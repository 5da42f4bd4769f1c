package server

import (
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/allyway/allyway/internal/agreement"
	"github.com/allyway/allyway/internal/alert"
	"github.com/allyway/allyway/internal/auth"
	"github.com/allyway/allyway/internal/chart"
	"github.com/allyway/allyway/internal/partner"
	"github.com/allyway/allyway/internal/period"
	"github.com/allyway/allyway/internal/programdash"
	"github.com/allyway/allyway/internal/referral"
	"github.com/allyway/allyway/internal/rollup"
	"github.com/allyway/allyway/internal/tenant"
	"github.com/allyway/allyway/web/view"
)

// dashboard is the firm's front page: where the program stands and what to
// do next.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	var st tenant.Stats
	var expiring, lapsed []agreement.Agreement
	var open programdash.Open
	var conflicts map[string]int
	var prog programdash.Summary
	var last period.Quarter
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
		// The referrals that need someone: open ones by stage (from the
		// rollups, which keep each month's open referrals by status, so the
		// count doesn't grow with the firm's history) and attribution
		// conflicts (a partial index of open conflicts: 0.1 ms for a firm
		// of 80,000 referrals). Those at risk of breaching their SLA are
		// linked, not counted: referral.Filter{AtRisk} reads every referral
		// of the firm through the list's join (0.7–1.1 s at that size).
		if err = rollup.Fresh(r.Context(), tx, sc.Tenant.ID); err != nil {
			return err
		}
		if open, err = programdash.OpenByStage(r.Context(), tx, sc.Tenant.ID); err != nil {
			return err
		}
		if conflicts, err = referral.CountByStatus(r.Context(), tx, sc.Tenant.ID, referral.Filter{ConflictsOnly: true, Open: true}); err != nil {
			return err
		}
		// The most pressing open alerts (alert.go).
		if alerts, openAlerts, err = alert.Top(r.Context(), tx, sc.Tenant.ID, dashboardAlertCount); err != nil {
			return err
		}
		// The program's last complete quarter (program.go).
		day, err := s.firmToday(r.Context(), tx, sc.Tenant.ID)
		if err != nil {
			return err
		}
		last = period.QuarterOf(day).Prev()
		prog, err = programdash.QuarterSummary(r.Context(), tx, sc.Tenant.ID, last)
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
	for _, st := range open.Stages() {
		props.OpenReferrals += int(st.N)
		props.ReferralsByStage = append(props.ReferralsByStage, view.Count{Label: referral.StatusLabel(st.Key), Key: st.Key, N: int(st.N)})
	}
	props.AwaitingResponse = int(open.Submitted)
	props.Program = dashProgram(props.Base, last, prog)
	props.Alerts, props.OpenAlerts = dashboardAlerts(sc, alerts), openAlerts
	props.Conflicts = sum(conflicts)
	for _, k := range partner.Statuses {
		props.ByStatus = append(props.ByStatus, view.Count{Label: view.StatusLabel(k), Key: k, N: st.PartnersByStatus[k]})
	}
	s.render(w, r, http.StatusOK, view.DashboardPage(s.page(r, sc.Tenant.Name, "dashboard"), props))
}

// dashProgram is the dashboard's program card: the last complete
// quarter's ROI and revenue share against the goals.
func dashProgram(base string, q period.Quarter, sm programdash.Summary) view.DashProgram {
	goalROI := roiText(sm.Goals.ROIX100)
	goalShare := chart.BP.Full(sm.Goals.RevenueShareMinBP) + "–" + chart.BP.Full(sm.Goals.RevenueShareMaxBP)
	d := view.DashProgram{Label: q.Label(), URL: base + "/program?quarter=" + q.String(),
		InputsURL: base + "/program/inputs?quarter=" + q.String(), Missing: len(sm.Missing) > 0,
		ROI: spanROI(sm.Span), ROIGoal: goalROI, Share: spanShare(sm.Span), ShareGoal: goalShare,
		Revenue: dollars(sm.PartnerRevenueCents)}
	d.ROIBadge, d.ROITone = roiBadge(sm.Span)
	d.ShareBadge, d.ShareTone = shareBadge(sm.Span)
	return d
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
