package agreement

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"rsc.io/pdf"

	"github.com/allyway/allyway/internal/commission"
)

func pdfPtr[T any](v T) *T { return &v }

func pdfDay(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// sampleAgreement is an accepted version with money both ways and every
// written term filled in.
func sampleAgreement() Agreement {
	accepted := time.Date(2026, 3, 2, 14, 5, 0, 0, time.UTC)
	return Agreement{
		ID: uuid.New(), PartnerID: uuid.New(), PartnerName: "Müller & Söhne – Beratung", Version: 2,
		Status: StatusActive, Model: "referral", Title: "Referral partnership 2026",
		EffectiveFrom: pdfDay(2026, 3, 1), EffectiveTo: pdfPtr(pdfDay(2027, 2, 28)), AutoRenew: true, RenewalMonths: 12,
		TerminationNoticeDays: 60, PaymentTrigger: "client_payment", PaymentNetDays: 45,
		Exclusivity: "geography", ExclusivityScope: []string{"Bavaria"}, Territories: []string{"Germany", "Austria"},
		Terms: Terms{
			WeReferToThem: "Tax structuring for carve-outs.", TheyReferToUs: "Operating-model redesign after a deal.",
			OffLimits: "Audit and assurance work.", Involvement: "standard", Reciprocal: true,
			Governance: Governance{CheckinCadenceDays: 90, OurEscalation: "Alex Admin, managing partner",
				TheirEscalation: "Dana Reyes", ClientAcceptance: "The firm receiving the referral decides.",
				ScopeChanges: "Agreed in writing by both engagement leads."},
			Confidentiality:   "Client information stays confidential for five years.",
			DataProtection:    "Both parties act as independent controllers under the GDPR.",
			DisputeResolution: "Mediation in Munich, then the courts of Munich.",
			ClientDisclosure:  "The client is told of the referral fee in the engagement letter.",
			AnnualReview:      true,
		},
		Rules: []commission.Rule{
			{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 1000},
			{Kind: commission.CoDeliverySplit, Direction: commission.WeReceive, PartnerShareBP: 6000},
		},
		ChangeNote: "Raised the first-project rate.",
		SentAt:     pdfPtr(pdfDay(2026, 2, 20)), AcceptedAt: &accepted, AcceptedName: "Pat Partner",
		AcceptedIP: "203.0.113.9", AcceptedVia: "portal",
	}
}

// pdfText reads a PDF with rsc.io/pdf and returns its pages' text. The
// core fonts carry no widths, so the reader can't tell where spaces were:
// callers compare with squash.
func pdfText(t *testing.T, b []byte) (pages int, text string) {
	t.Helper()
	require.True(t, bytes.HasPrefix(b, []byte("%PDF-")), "not a PDF")
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	var sb strings.Builder
	for i := 1; i <= r.NumPage(); i++ {
		lastY := -1.0
		for _, c := range r.Page(i).Content().Text {
			if c.Y != lastY {
				sb.WriteByte('\n')
				lastY = c.Y
			}
			sb.WriteString(c.S)
		}
	}
	return r.NumPage(), sb.String()
}

// squash drops whitespace, so text wrapped over lines still matches.
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

func requireHas(t *testing.T, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		require.Contains(t, squash(text), squash(w), "the PDF lacks %q; it says:\n%s", w, text)
	}
}

func TestMOUPDF(t *testing.T) {
	a := sampleAgreement()
	b, err := MOUPDF(a, "Northwind Advisory", a.PartnerName)
	require.NoError(t, err)
	pages, text := pdfText(t, b)
	require.Equal(t, 1, pages, "the MOU is one page")
	requireHas(t, text,
		"Memorandum of understanding",
		"Northwind Advisory and Müller & Söhne – Beratung", // cp1252: ü, ö and the en dash survive
		"Referral",
		"Northwind Advisory pays Müller & Söhne – Beratung 10% of client payments on the first project.",
		"Co-delivered work: Northwind Advisory receives 60% of the engagement's revenue and Müller & Söhne – Beratung keeps 40%",
		"Payable when the client pays, within 45 days (net 45).",
		"Tax structuring for carve-outs.",
		"From 1 March 2026 to 28 February 2027 (12 months).",
		"Accepted by Pat Partner on 2 March 2026 at 14:05 UTC in the partner portal (from IP address 203.0.113.9).",
	)
	require.NotContains(t, text, "Not yet accepted")
}

func TestMOUPDFNotAcceptedHasSignatureLines(t *testing.T) {
	a := sampleAgreement()
	a.Status, a.AcceptedAt, a.AcceptedName, a.AcceptedIP, a.AcceptedVia = StatusSent, nil, "", "", ""
	b, err := MOUPDF(a, "Northwind Advisory", "Brightline Tax")
	require.NoError(t, err)
	_, text := pdfText(t, b)
	requireHas(t, text, "Not yet accepted.", "Awaiting acceptance",
		"For Northwind Advisory: name, signature and date", "For Brightline Tax: name, signature and date")
}

// A long agreement is set smaller and cut, but stays on one page.
func TestMOUPDFStaysOnOnePage(t *testing.T) {
	a := sampleAgreement()
	long := strings.Repeat("A very long paragraph about the scope of the partnership and its many services. ", 60)
	a.Terms.WeReferToThem, a.Terms.TheyReferToUs, a.Terms.OffLimits = long, long, long
	a.Title = strings.Repeat("T", 200)
	for i := 0; i < MaxRules; i++ {
		a.Rules = append(a.Rules, commission.Rule{Kind: commission.TieredVolume, Direction: commission.WePay,
			Period: commission.CalendarYear, Mode: commission.Retroactive, Tiers: commission.DefaultVolumeTiers()})
	}
	b, err := MOUPDF(a, "Northwind Advisory", "Brightline Tax")
	require.NoError(t, err)
	pages, text := pdfText(t, b)
	require.Equal(t, 1, pages)
	requireHas(t, text, "(see the full agreement)", "more rules are in the full agreement.", "Accepted by Pat Partner")
}

func TestFullPDF(t *testing.T) {
	a := sampleAgreement()
	b, err := FullPDF(a, "Northwind Advisory", a.PartnerName)
	require.NoError(t, err)
	_, text := pdfText(t, b)
	requireHas(t, text,
		"Partnership agreement",
		"1. Parties", "Northwind Advisory", "Müller & Söhne – Beratung", "Referral",
		"2. Scope", "Tax structuring for carve-outs.", "Operating-model redesign after a deal.", "Audit and assurance work.",
		"Standard — introduces and supports the sale",
		"3. Referral and revenue-share terms",
		"Clients Müller & Söhne – Beratung refers to Northwind Advisory",
		"Northwind Advisory pays Müller & Söhne – Beratung 10% of client payments on the first project.",
		"Clients Northwind Advisory refers to Müller & Söhne – Beratung",
		"Co-delivered work: Northwind Advisory receives 60%",
		"4. Payment terms", "net 45",
		"5. Exclusivity and territories", "Exclusive by geography: Bavaria.", "Germany, Austria.",
		"6. Governance", "Every 90 days.", "Alex Admin, managing partner", "Dana Reyes",
		"The firm receiving the referral decides.", "Agreed in writing by both engagement leads.",
		"7. Confidentiality and data protection", "confidential for five years", "independent controllers under the GDPR",
		"The client is told of the referral fee in the engagement letter.",
		"8. Term and termination", "Renews automatically for 12 months at a time", "60 days' written notice",
		"The parties review this agreement every year.",
		"9. Dispute resolution", "Mediation in Munich",
		"10. Acceptance", "Accepted by Pat Partner on 2 March 2026 at 14:05 UTC",
		"11. Version and effective dates", "2 — Active.", "From 1 March 2026 to 28 February 2027.", "Raised the first-project rate.",
	)
	require.NotContains(t, text, "Signatures", "accepted: no lines to sign")
}

func TestFullPDFDeclinedAndEmptyTerms(t *testing.T) {
	a := Agreement{Version: 1, Status: StatusDeclined, Model: "alliance", EffectiveFrom: pdfDay(2026, 1, 1),
		PaymentTrigger: "monthly", PaymentNetDays: 0, Exclusivity: "none", RenewalMonths: 12,
		DeclinedAt: pdfPtr(pdfDay(2026, 1, 5)), DeclinedReason: "The rate is too low for us."}
	b, err := FullPDF(a, "Northwind Advisory", "Atlas Capital Group")
	require.NoError(t, err)
	_, text := pdfText(t, b)
	requireHas(t, text, "Strategic alliance / JV", "Not stated.", "No money terms: referrals this way are not paid for.",
		"Payable monthly, for retainers, immediately (net 0).", "Non-exclusive", "No territorial limits.",
		"From 1 January 2026, with no fixed end.", "Either party may end it at any time, without notice.",
		"Declined on 5 January 2026 at 00:00 UTC. Reason given: The rate is too low for us.", "Not in force.",
		"Signatures", "For Atlas Capital Group: name, signature and date")
}

// Characters outside Windows-1252 and control characters never break the
// document.
func TestPDFOddText(t *testing.T) {
	a := sampleAgreement()
	a.Terms.WeReferToThem = "Line one\r\nLine two\tafter a tab → next ≤ 5 — 日本語 \x00\x07 end"
	b, err := FullPDF(a, "Firm\nName", "Partner")
	require.NoError(t, err)
	_, text := pdfText(t, b)
	requireHas(t, text, "Line one", "Line two after a tab -> next <= 5 —", "end")
}

func TestRuleInWords(t *testing.T) {
	const f, p = "Northwind", "Brightline"
	cases := []struct {
		rule commission.Rule
		want string
	}{
		{commission.Rule{Kind: commission.PercentFirstProject, Direction: commission.WePay, RateBP: 1000},
			"Northwind pays Brightline 10% of client payments on the first project."},
		{commission.Rule{Kind: commission.PercentFirstProject, Direction: commission.WeReceive, RateBP: 1250, CapCents: pdfPtr(int64(500000))},
			"Brightline pays Northwind 12.5% of client payments on the first project (at most $5,000.00 per payment)."},
		{commission.Rule{Kind: commission.PercentOngoing, Direction: commission.WePay, RateBP: 500, Months: 12},
			"Northwind pays Brightline 5% of every client payment for 12 months from the start of the first project."},
		{commission.Rule{Kind: commission.PercentOngoing, Direction: commission.WePay, RateBP: 500},
			"Northwind pays Brightline 5% of every client payment for as long as the client stays active."},
		{commission.Rule{Kind: commission.FlatFee, Direction: commission.WePay, AmountCents: 250000},
			"Northwind pays Brightline a flat fee of $2,500.00 for each won referral."},
		{commission.Rule{Kind: commission.TieredVolume, Direction: commission.WePay, Period: commission.CalendarYear,
			Mode: commission.FromThreshold, Tiers: commission.DefaultVolumeTiers()},
			"Northwind pays Brightline a share of client payments that grows with the referrals won in the calendar year: " +
				"10% from the 1st won referral, 15% from the 4th, 20% from the 11th; each rate applies from the referral that reaches it."},
		{commission.Rule{Kind: commission.TieredVolume, Direction: commission.WePay, Period: commission.Trailing12Months,
			Mode: commission.Retroactive, Tiers: []commission.Tier{{MinReferrals: 2, RateBP: 800}, {MinReferrals: 22, RateBP: 900}}},
			"Northwind pays Brightline a share of client payments that grows with the referrals won in the last 12 months: " +
				"8% from the 2nd won referral, 9% from the 22nd; the rate reached applies to every referral of the period."},
		{commission.Rule{Kind: commission.TieredConversion, Direction: commission.WePay, WindowMonths: 6,
			Tiers: []commission.Tier{{RateBP: 1000}, {MinConversionBP: 3000, RateBP: 1500}}},
			"Northwind pays Brightline a share of client payments set by Brightline's conversion rate over the last 6 months: " +
				"10% from a 0% conversion rate, 15% from a 30% conversion rate."},
		{commission.Rule{Kind: commission.CoDeliverySplit, Direction: commission.WePay, PartnerShareBP: 6000, MarkupBP: 1000},
			"Co-delivered work: Brightline receives 60% of the engagement's revenue and Northwind keeps 40%, and Northwind keeps a 10% markup out of Brightline's share."},
		{commission.Rule{Kind: commission.ReciprocityOnly, Direction: commission.WePay},
			"No money changes hands; each referral counts towards reciprocity."},
	}
	for _, c := range cases {
		require.Equal(t, c.want, RuleInWords(c.rule, f, p))
	}
}

func TestDocumentFileName(t *testing.T) {
	require.Equal(t, "northwind-advisory_muller-and-sohne-beratung_v2_mou.pdf",
		DocumentFileName("Northwind Advisory", "Müller & Söhne – Beratung", 2, "mou"))
	require.Equal(t, "agreement_x-y_v1_full.pdf", DocumentFileName(`"; /\..`, "x\r\ny", 1, "full"))
}

func TestPaymentAndTermText(t *testing.T) {
	require.Equal(t, "Payable when the project starts, within 1 day (net 1).", PaymentText("project_start", 1))
	require.Equal(t, "Payable when the project is completed, within 30 days (net 30).", PaymentText("completion", 30))
	a := Agreement{EffectiveFrom: pdfDay(2026, 1, 1), EffectiveTo: pdfPtr(pdfDay(2026, 12, 31)), TerminationNoticeDays: 1}
	require.Equal(t, "From 1 January 2026 to 31 December 2026 (12 months). Does not renew automatically. Either party may end it with 1 day's written notice.", TermText(a))
}
