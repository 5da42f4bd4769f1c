package partner_test

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/allyway/allyway/internal/partner"
)

func parse(t *testing.T, csv string, existing ...partner.ExistingPartner) partner.ImportPlan {
	t.Helper()
	plan, err := partner.ParseCSV(strings.NewReader(csv), partner.ImportOptions{Existing: existing})
	require.NoError(t, err)
	return plan
}

func issues(plan partner.ImportPlan) []string {
	var out []string
	for _, is := range plan.Issues() {
		out = append(out, is.Error())
	}
	return out
}

func TestParseCSVFull(t *testing.T) {
	in := "\ufeffName;Domain;Website;Model;Status;Positioning;Focus;Industries;Regions;Client sizes;Stages;Notes;Contact name;Contact email;Contact title;Contact level;Contact phone\r\n" +
		"Brightline Tax;brightline.example;https://www.brightline.example/about;Referral;Active;Mid-market;Specialist;\"Healthcare, Retail\";UK;SME;Series A, Series B;Good partner;Dana Reyes;Dana@Brightline.example;Partner;Executive sponsor;+44 1\r\n" +
		"Brightline Tax;brightline.example;;;;;;;;;;;Sam Ito;sam@brightline.example;Manager;account manager;\r\n" +
		"Keystone Legal;;keystonelegal.example;Strategic alliance / JV;qualifying;premium;generalist;;;;;\"two\nlines\";;;;;\r\n"
	plan := parse(t, in)
	require.Equal(t, ';', plan.Delimiter)
	require.Empty(t, plan.Ignored)
	require.Empty(t, issues(plan))
	require.Len(t, plan.Rows, 3)
	require.Equal(t, []int{2, 3, 4}, []int{plan.Rows[0].Line, plan.Rows[1].Line, plan.Rows[2].Line})
	require.Len(t, plan.Partners, 2)
	require.Equal(t, 2, plan.Contacts())

	b := plan.Partners[0]
	require.Equal(t, "Brightline Tax", b.Name)
	require.Equal(t, "brightline.example", b.Domain)
	require.Equal(t, "https://www.brightline.example/about", b.Website)
	require.Equal(t, "referral", b.Type)
	require.Equal(t, "active", b.Status)
	require.Equal(t, "mid_market", b.Positioning)
	require.Equal(t, "specialist", b.Focus)
	require.Equal(t, []string{"Healthcare", "Retail"}, b.Industries)
	require.Equal(t, []string{"UK"}, b.Regions)
	require.Equal(t, []string{"SME"}, b.ClientSizes)
	require.Equal(t, []string{"Series A", "Series B"}, b.Stages)
	require.Len(t, b.Contacts, 2)
	require.Equal(t, partner.ImportContact{Line: 2, Name: "Dana Reyes", Email: "dana@brightline.example", Title: "Partner",
		Level: "executive_sponsor", Phone: "+44 1", Primary: true}, b.Contacts[0])
	require.Equal(t, "account_manager", b.Contacts[1].Level)
	require.False(t, b.Contacts[1].Primary)

	k := plan.Partners[1]
	require.Equal(t, "keystonelegal.example", k.Domain, "the domain comes from the website")
	require.Equal(t, "https://keystonelegal.example", k.Website)
	require.Equal(t, "alliance", k.Type)
	require.Equal(t, "qualifying", k.Status)
	require.Equal(t, "two\nlines", k.Notes)
	require.Empty(t, k.Contacts)
	require.Equal(t, []string{}, k.Industries)
}

func TestParseCSVDefaultsAndAliases(t *testing.T) {
	plan := parse(t, "FIRM_NAME,Partnership-Type,E-mail,Contact,favourite colour,Job Title\nAcme,,a@acme.example,Ann,blue,CEO\n")
	require.Equal(t, ',', plan.Delimiter)
	require.Equal(t, []string{"favourite colour"}, plan.Ignored)
	require.Len(t, plan.Warnings, 1)
	require.Contains(t, plan.Warnings[0], "line 1")
	require.Contains(t, plan.Warnings[0], "favourite colour")
	require.Len(t, plan.Partners, 1)
	p := plan.Partners[0]
	require.Equal(t, "referral", p.Type)
	require.Equal(t, "prospect", p.Status)
	require.Equal(t, "", p.Domain)
	require.Equal(t, []partner.ImportContact{{Line: 2, Name: "Ann", Email: "a@acme.example", Title: "CEO", Level: "other", Primary: true}}, p.Contacts)

	// Tab-separated (pasted from a spreadsheet).
	plan = parse(t, "name\tmodel\nAcme\tChannel / reseller\n")
	require.Equal(t, '\t', plan.Delimiter)
	require.Equal(t, "channel", plan.Partners[0].Type)
}

func TestParseCSVRowErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		row  string // under the header below
		want []string
	}{
		{"missing name", ",x.example,,,,,,,,", []string{"line 2, name: enter the partner firm's name"}},
		{"bad model", "Acme,,partnership,,,,,,,", []string{"line 2, model: 'partnership' is not one of referral, delivery, alliance, technology, channel"}},
		{"bad status", "Acme,,,signed,,,,,,", []string{"line 2, status: 'signed' is not one of prospect, qualifying, onboarding, active, paused, inactive, ended"}},
		{"bad domain", "Acme,not a domain,,,,,,,,", []string{"line 2, domain: 'not a domain' is not a web domain like partnerfirm.com"}},
		{"bad positioning", "Acme,,,,luxury,,,,,", []string{"line 2, positioning: 'luxury' is not one of premium, mid-market, value"}},
		{"bad focus", "Acme,,,,,narrow,,,,", []string{"line 2, focus: 'narrow' is not one of specialist, generalist"}},
		{"bad email", "Acme,,,,,,Ann,ann at acme,,", []string{"line 2, contact email: 'ann at acme' is not an email address"}},
		{"named email", "Acme,,,,,,Ann,Ann <ann@acme.example>,,", []string{"line 2, contact email: 'Ann <ann@acme.example>' is not an email address"}},
		{"contact without name", "Acme,,,,,,,ann@acme.example,,", []string{"line 2, contact name: the row has contact details but no contact name"}},
		{"bad level", "Acme,,,,,,Ann,,ceo,", []string{"line 2, contact level: 'ceo' is not one of executive sponsor, delivery, account manager, other"}},
		{"long name", strings.Repeat("x", 201) + ",,,,,,,,,", []string{"line 2, name: keep it under 200 characters"}},
		{"control char", "Ac\x01me,,,,,,,,,", []string{"line 2, name: contains a control character"}},
		{"bare quote", `Ac"me,,,,,,,,,`, []string{`line 2: the row can't be read: a quote (") inside a cell that is not quoted; put the cell in quotes and double the quote ("")`}},
		{"several", ",,nope,nope,,,,,,", []string{"line 2, name: enter the partner firm's name",
			"line 2, model: 'nope' is not one of referral, delivery, alliance, technology, channel",
			"line 2, status: 'nope' is not one of prospect, qualifying, onboarding, active, paused, inactive, ended"}},
		{"ok", "Acme,acme.example,Technology / platform,Paused,Value,Generalist,Ann,ann@acme.example,Delivery lead,", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := parse(t, "name,domain,model,status,positioning,focus,contact name,contact email,contact level,notes\n"+tc.row+"\n")
			require.Equal(t, tc.want, issues(plan))
			require.Len(t, plan.Rows, 1)
			if tc.want != nil {
				require.False(t, plan.Rows[0].Imported())
				require.Empty(t, plan.Partners)
				require.Equal(t, 1, plan.ErrorRows())
			} else {
				require.True(t, plan.Rows[0].Imported())
				require.Len(t, plan.Partners, 1)
			}
		})
	}
}

func TestParseCSVLineNumbers(t *testing.T) {
	// Blank lines are skipped; a quoted cell over two lines moves later rows down.
	in := "name,model,notes\n\nAcme,referral\nMulti,bad,\"two\nlines\"\nZeta,worse\n"
	plan := parse(t, in)
	require.Equal(t, []string{
		"line 4, model: 'bad' is not one of referral, delivery, alliance, technology, channel",
		"line 6, model: 'worse' is not one of referral, delivery, alliance, technology, channel",
	}, issues(plan))
	require.Equal(t, 3, plan.Rows[0].Line)
	require.Len(t, plan.Partners, 1)
}

func TestParseCSVFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		opt  partner.ImportOptions
		want string
	}{
		{"empty", "", partner.ImportOptions{}, "line 1: the file is empty"},
		{"spaces", " \r\n\n", partner.ImportOptions{}, "line 1: the file is empty"},
		{"no name column", "domain,model\nx.example,referral\n", partner.ImportOptions{}, "line 1: the header row has no “name” column"},
		{"header only", "name,domain\r\n", partner.ImportOptions{}, "line 1: the file has a header row but no partners"},
		{"header and blank rows", "name,domain\n,\n\n", partner.ImportOptions{}, "line 1: the file has a header row but no partners"},
		{"too many rows", "name\na\nb\nc\n", partner.ImportOptions{MaxRows: 2}, "line 4: the file has more than 2 rows"},
		{"too large", "name\n" + strings.Repeat("abcdefghi\n", 20), partner.ImportOptions{MaxBytes: 50}, "line 6: the file is larger than 0 KB"},
		{"latin-1", "name\nCaf\xe9 Partners\n", partner.ImportOptions{}, "line 2: the file is not UTF-8 text"},
		{"utf-16", "\xff\xfen\x00a\x00", partner.ImportOptions{}, "line 1: the file is UTF-16 text"},
		{"nul", "name\nx\x00\n", partner.ImportOptions{}, "line 2: the file contains a NUL byte"},
		{"too many columns", strings.Repeat("name,", 201) + "\nx\n", partner.ImportOptions{}, "line 1: the header row has 202 columns"},
		{"broken header", "name,\"dom\nx", partner.ImportOptions{}, "line 1: the header row can't be read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := partner.ParseCSV(strings.NewReader(tc.in), tc.opt)
			require.Error(t, err)
			var ie *partner.ImportError
			require.True(t, errors.As(err, &ie), "%T %v", err, err)
			require.True(t, strings.HasPrefix(err.Error(), tc.want), "got %q, want prefix %q", err.Error(), tc.want)
		})
	}
}

func TestParseCSVLimitsExact(t *testing.T) {
	var b strings.Builder
	b.WriteString("name\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "Partner %d\n", i)
	}
	plan, err := partner.ParseCSV(strings.NewReader(b.String()), partner.ImportOptions{})
	require.NoError(t, err)
	require.Len(t, plan.Partners, 5000)
	b.WriteString("one too many\n")
	_, err = partner.ParseCSV(strings.NewReader(b.String()), partner.ImportOptions{})
	require.ErrorContains(t, err, "line 5002: the file has more than 5000 rows")

	data := "name\n" + strings.Repeat("x", 95) + "\n" // 101 bytes
	_, err = partner.ParseCSV(strings.NewReader(data), partner.ImportOptions{MaxBytes: 101})
	require.NoError(t, err)
	_, err = partner.ParseCSV(strings.NewReader(data), partner.ImportOptions{MaxBytes: 100})
	require.Error(t, err)
}

func TestParseCSVExisting(t *testing.T) {
	existing := []partner.ExistingPartner{{Name: "Brightline Tax", Domain: "brightline.example"}, {Name: "Nameonly LLP"}}
	in := "name,domain,contact name\n" +
		"Brightline Taxation,https://www.BRIGHTLINE.example,Ann\n" + // same domain, other name
		"nameonly llp,,Bo\n" + // same name, no domain
		"Nameonly LLP,nameonly.example,Cy\n" + // same name, the existing one has no domain
		"Brightline Tax,other.example,Di\n" + // same name, another domain: a different firm
		"New Firm,new.example,Ed\n"
	plan := parse(t, in, existing...)
	require.Empty(t, issues(plan))
	require.Equal(t, "Brightline Tax", plan.Rows[0].Exists)
	require.Contains(t, plan.Rows[0].Warnings[0], "partner exists: Brightline Tax")
	require.Equal(t, "Nameonly LLP", plan.Rows[1].Exists)
	require.Equal(t, "Nameonly LLP", plan.Rows[2].Exists)
	require.Equal(t, "", plan.Rows[3].Exists)
	require.Equal(t, "", plan.Rows[4].Exists)
	require.Equal(t, 2, plan.ExistingPartners())
	require.Len(t, plan.Partners, 2)
	require.Equal(t, "other.example", plan.Partners[0].Domain)
	for _, r := range plan.Rows[:3] {
		require.False(t, r.Imported())
	}
}

func TestParseCSVGroupsContacts(t *testing.T) {
	in := "name,domain,model,contact name,contact email\n" +
		"Acme,acme.example,referral,Ann,ann@acme.example\n" +
		"ACME Inc,acme.example,,Bo,bo@acme.example\n" + // same domain: same partner, the name differs
		"Acme,acme.example,channel,Ann again,ANN@acme.example\n" + // the same contact by email
		"Solo,,,Cy,\n" +
		"solo,,,Di,\n" + // same name, no domain: same partner
		"Solo,,,cy,\n" // the same contact by name
	plan := parse(t, in)
	require.Empty(t, issues(plan))
	require.Len(t, plan.Partners, 2)
	require.Equal(t, 4, plan.Contacts())
	require.Equal(t, "Acme", plan.Partners[0].Name)
	require.Equal(t, "referral", plan.Partners[0].Type)
	require.Equal(t, []string{"name differs from line 2, whose name is kept"}, plan.Rows[1].Warnings)
	require.Equal(t, []string{"model differs from line 2, whose model is kept", "the contact Ann again is already on line 2; it is added once"}, plan.Rows[2].Warnings)
	require.Equal(t, []string{"the contact cy is already on line 5; it is added once"}, plan.Rows[5].Warnings)
	for _, r := range plan.Rows {
		require.True(t, r.Imported())
	}
	require.True(t, plan.Partners[0].Contacts[0].Primary)
	require.False(t, plan.Partners[0].Contacts[1].Primary)
}

func TestParseCSVErrorRowDoesNotJoin(t *testing.T) {
	// A bad row adds nothing, not even its contact to a partner named elsewhere.
	plan := parse(t, "name,domain,model,contact name\nAcme,acme.example,referral,Ann\nAcme,acme.example,bogus,Bo\n")
	require.Len(t, plan.Partners, 1)
	require.Len(t, plan.Partners[0].Contacts, 1)
	require.Equal(t, 1, plan.ErrorRows())
}

func TestParseCSVLists(t *testing.T) {
	plan := parse(t, "name;industries;regions\nAcme;\"Healthcare; retail; HEALTHCARE;;\";EU|US\n")
	require.Equal(t, []string{"Healthcare", "retail"}, plan.Partners[0].Industries)
	require.Equal(t, []string{"EU", "US"}, plan.Partners[0].Regions)
	plan = parse(t, "name,industries\nAcme,\""+strings.Repeat("x;", 60)+"\"\n")
	require.Equal(t, []string{"x"}, plan.Partners[0].Industries)
	plan = parse(t, "name,industries\nAcme,"+strings.Repeat("y", 101)+"\n")
	require.Equal(t, []string{"line 2, industries: keep each item under 100 characters"}, issues(plan))
	many := ""
	for i := range 51 {
		many += fmt.Sprintf("i%d;", i)
	}
	plan = parse(t, "name,industries\nAcme,\""+many+"\"\n")
	require.Equal(t, []string{"line 2, industries: list at most 50 items"}, issues(plan))
}

func TestParseCSVExtraCells(t *testing.T) {
	plan := parse(t, "name,domain\nAcme,acme.example,surprise\nBeta,beta.example,,\n")
	require.Len(t, plan.Partners, 2)
	require.Len(t, plan.Rows[0].Warnings, 1)
	require.Empty(t, plan.Rows[1].Warnings)
}

func TestParseCSVDuplicateColumn(t *testing.T) {
	plan := parse(t, "name,type,model\nAcme,channel,bogus\n")
	require.Empty(t, issues(plan))
	require.Equal(t, "channel", plan.Partners[0].Type)
	require.Equal(t, []string{"model"}, plan.Ignored)
}

func TestParseCSVHash(t *testing.T) {
	a := parse(t, "name,domain\nAcme,acme.example\n")
	b := parse(t, "Name;Domain\r\nAcme;https://acme.example/\r\n")
	require.Equal(t, a.Hash(), b.Hash(), "the same partners give the same hash")
	c := parse(t, "name,domain\nAcme,acme.example\n", partner.ExistingPartner{Name: "Acme", Domain: "acme.example"})
	require.NotEqual(t, a.Hash(), c.Hash(), "a partner that appeared meanwhile changes it")
}

func TestTemplateCSVParses(t *testing.T) {
	plan, err := partner.ParseCSV(bytes.NewReader(partner.TemplateCSV()), partner.ImportOptions{})
	require.NoError(t, err)
	require.Empty(t, issues(plan))
	require.Empty(t, plan.Ignored)
	require.Len(t, plan.Columns, len(partner.ImportColumns))
	require.Len(t, plan.Partners, 2)
	require.Equal(t, 2, plan.Contacts())
	require.Equal(t, "alliance", plan.Partners[1].Type)
}

var csvSeeds = []string{
	"name,domain\nAcme,acme.example\n",
	"\ufeffName;Model;Status\r\nAcme;Strategic alliance / JV;active\r\n",
	"name\tcontact name\tcontact email\nAcme\tAnn\tann@acme.example\n",
	"name,model\n\"Multi\nline\",bad\n",
	"name,domain\nAc\"me,x\n",
	"name,domain\n\"Acme,acme.example\n",
	"name,\"dom\nx",
	"",
	"\xff\xfen\x00",
	"name\nCaf\xe9\n",
	"domain\nx.example\n",
	"name,industries\nAcme,\"a;b;c;;\"\n",
	"name,website\nAcme,http://[::1]:80/\nB,https://user:pw@b.example\nC,javascript:alert(1)\n",
	"name,contact name,contact level,contact email\nA,Ann,exec sponsor,\"Ann <a@b.c>\"\n",
	"name,name,,\n,,,\n",
	"\"\"\n\"\"\n",
	"\n\n\nname\n\n\nAcme\n",
	"name\r\rAcme\r",
}

// FuzzParseCSV: ParseCSV never panics; every error and row issue names a
// line; rows are in line order; what it would import is valid for the
// schema's checks.
func FuzzParseCSV(f *testing.F) {
	for _, s := range csvSeeds {
		f.Add([]byte(s))
	}
	lineRE := regexp.MustCompile(`^line [1-9][0-9]*[:,]`)
	f.Fuzz(func(t *testing.T, in []byte) {
		plan, err := partner.ParseCSV(bytes.NewReader(in), partner.ImportOptions{MaxRows: 200, MaxBytes: 16 << 10,
			Existing: []partner.ExistingPartner{{Name: "Acme", Domain: "acme.example"}}})
		if err != nil {
			if !lineRE.MatchString(err.Error()) {
				t.Fatalf("error without a line: %q", err)
			}
			return
		}
		last := 0
		for _, r := range plan.Rows {
			if r.Line < last || r.Line < 1 {
				t.Fatalf("row lines out of order: %d after %d", r.Line, last)
			}
			last = r.Line
			for _, is := range r.Errors {
				if is.Line != r.Line || !lineRE.MatchString(is.Error()) {
					t.Fatalf("issue %q on row %d", is.Error(), r.Line)
				}
			}
			if len(r.Errors) > 0 && r.Imported() {
				t.Fatalf("row %d has errors but is imported", r.Line)
			}
			if r.Imported() && r.Partner >= len(plan.Partners) {
				t.Fatalf("row %d points at partner %d of %d", r.Line, r.Partner, len(plan.Partners))
			}
		}
		for _, p := range plan.Partners {
			if strings.TrimSpace(p.Name) == "" || len([]rune(p.Name)) > 200 {
				t.Fatalf("imports name %q", p.Name)
			}
			if !contains(partner.Types, p.Type) || !contains(partner.Statuses, p.Status) {
				t.Fatalf("imports type %q status %q", p.Type, p.Status)
			}
			if p.Domain != "" && p.Domain != partner.NormalizeDomain(p.Domain) {
				t.Fatalf("imports unnormalised domain %q", p.Domain)
			}
			if p.Positioning != "" && !contains([]string{"premium", "mid_market", "value"}, p.Positioning) {
				t.Fatalf("imports positioning %q", p.Positioning)
			}
			if p.Focus != "" && !contains([]string{"specialist", "generalist"}, p.Focus) {
				t.Fatalf("imports focus %q", p.Focus)
			}
			primaries := 0
			for _, c := range p.Contacts {
				if strings.TrimSpace(c.Name) == "" || !contains(partner.ContactLevels, c.Level) {
					t.Fatalf("imports contact %+v", c)
				}
				if c.Primary {
					primaries++
				}
			}
			if len(p.Contacts) > 0 && primaries != 1 {
				t.Fatalf("partner %q has %d primary contacts", p.Name, primaries)
			}
			if p.Domain == "acme.example" {
				t.Fatalf("imports an existing partner")
			}
		}
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
