package referral_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/commission"
	"github.com/allyway/allyway/internal/referral"
)

func TestNormalizeCompany(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"Acme", "acme"},
		{"ACME, Inc.", "acme"},
		{"The Acme Company, Inc.", "acme"},
		{"acme co", "acme"},
		{"  Acme   Corp ", "acme"},
		{"Acme Corporation", "acme"},
		{"Acme L.L.C.", "acme"},
		{"Acme LLC", "acme"},
		{"Acme Ltd", "acme"},
		{"Acme Holdings Co., Ltd.", "acme holdings"},
		{"Acme GmbH", "acme"},
		{"Smith & Jones LLP", "smith and jones"},
		{"Smith and Jones", "smith and jones"},
		{"O'Brien Partners", "obrien partners"},
		{"Zürich Consulting AG", "zürich consulting"},
		{"The Company", "company"},
		{"The", "the"},
		{"Theta Labs", "theta labs"},
		{"", ""},
		{"!!!", ""},
	} {
		require.Equal(t, c.want, referral.NormalizeCompany(c.in), "NormalizeCompany(%q)", c.in)
	}
	require.Equal(t, referral.NormalizeCompany("The Acme Company, Inc."), referral.NormalizeCompany("acme co"))
}

func TestNormalizeDomain(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"acme.com", "acme.com"},
		{"ACME.COM", "acme.com"},
		{"www.acme.com", "acme.com"},
		{"https://www.acme.com/", "acme.com"},
		{"http://acme.com/about/team?x=1#top", "acme.com"},
		{"https://WWW.Acme.com///", "acme.com"},
		{"acme.com.", "acme.com"},
		{"acme.com:8443", "acme.com"},
		{"https://user:pw@acme.com:8443/x", "acme.com"},
		{"jane@Acme.com", "acme.com"},
		{"  mailto-like jane@acme.com ", "acme.com"},
		{"sub.acme.co.uk/", "sub.acme.co.uk"},
		{"", ""},
	} {
		require.Equal(t, c.want, referral.NormalizeDomain(c.in), "NormalizeDomain(%q)", c.in)
	}
	for _, c := range []struct {
		in string
		ok bool
	}{{"acme.com", true}, {"sub.acme.co.uk", true}, {"xn--bcher-kva.example", true}, {"acme", false}, {"acme.c", false},
		{"ac me.com", false}, {"-acme.com", false}, {"acme..com", false}, {"acme.123", false}, {"", false}} {
		require.Equal(t, c.ok, referral.ValidDomain(c.in), "ValidDomain(%q)", c.in)
	}
}

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	require.Equal(t, "jane@acme.com", referral.NormalizeEmail("  Jane@ACME.com "))
	for _, c := range []struct {
		in string
		ok bool
	}{{"jane@acme.com", true}, {"jane.doe+x@acme.co.uk", true}, {"jane@acme", false}, {"Jane <jane@acme.com>", false},
		{"jane@@acme.com", false}, {"jane", false}, {"a@b.com, c@d.com", false}, {"", false}} {
		require.Equal(t, c.ok, referral.ValidEmail(c.in), "ValidEmail(%q)", c.in)
	}
	require.True(t, referral.IsFreeMail("gmail.com"))
	require.False(t, referral.IsFreeMail("acme.com"))
}

func TestParseMoney(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in    string
		cents int64
		ok    bool
		bad   bool
	}{
		{"25,000", 2_500_000, true, false},
		{"25000", 2_500_000, true, false},
		{"25000.50", 2_500_050, true, false},
		{"25000.5", 2_500_050, true, false},
		{"$1,200", 120_000, true, false},
		{"$ 1,200.99", 120_099, true, false},
		{"1,234,567.01", 123_456_701, true, false},
		{"0", 0, true, false},
		{"", 0, false, false},
		{"   ", 0, false, false},
		{"-5", 0, false, true},
		{"-$5", 0, false, true},
		{"$-5", 0, false, true},
		{"abc", 0, false, true},
		{"25k", 0, false, true},
		{"1,20", 0, false, true},
		{"12,3456", 0, false, true},
		{",100", 0, false, true},
		{"10.", 0, false, true},
		{"10.123", 0, false, true},
		{"1.2.3", 0, false, true},
		{"99999999999999999999", 0, false, true},
	} {
		cents, ok, msg := commission.ParseDollars(c.in)
		require.Equal(t, c.cents, cents, "ParseDollars(%q)", c.in)
		require.Equal(t, c.ok, ok, "ParseDollars(%q) ok", c.in)
		require.Equal(t, c.bad, msg != "", "ParseDollars(%q) message %q", c.in, msg)
	}
	require.Equal(t, "25000.50", commission.FormatDollars(2_500_050))
	require.Equal(t, "1200", commission.FormatDollars(120_000))
	require.Equal(t, "0.05", commission.FormatDollars(5))
}
