// Package layering checks that domain packages keep to their layer: the
// plumbing never imports a domain area, and the areas (agreements,
// referrals, onboarding, enablement) never import each other — they meet in
// the server, the seed, setup and jobs, which may import anything.
package layering

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/allyway/allyway/internal/"

// areas are the domain areas; base are the domain packages every area may
// build on; wiring may import anything.
var (
	areas  = set("agreement", "referral", "onboarding", "enablement", "ledger", "review", "alert", "survey", "scorecard", "programdash", "campaign", "webhook")
	base   = set("partner", "commission", "policy", "markdown", "program", "rollup")
	wiring = set("server", "seed", "setup", "jobs", "layering", "testdb", "pgcluster", "schema")
)

func set(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

// allowed reports whether package from may import internal package to.
func allowed(from, to string) bool {
	switch {
	case wiring[from]:
		return true
	case areas[from]:
		return !areas[to] || to == from
	case base[from]:
		// The base packages build on plumbing only (partner may use the
		// other base packages' pure helpers).
		return !areas[to] && (from == "partner" || !base[to] || to == from)
	default: // plumbing: apperr, db, audit, notify, auth, identity, tenant, config, csvout, …
		return !areas[to] && !base[to] && !wiring[to]
	}
}

func TestDomainPackagesKeepToTheirLayer(t *testing.T) {
	dirs, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		from := d.Name()
		files, _ := filepath.Glob(filepath.Join("..", from, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range ast.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				if !strings.HasPrefix(path, module) {
					continue
				}
				to := strings.SplitN(strings.TrimPrefix(path, module), "/", 2)[0]
				if !allowed(from, to) {
					problems = append(problems, from+" imports "+to+" ("+filepath.Base(f)+")")
				}
			}
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}

func TestLayeringRulesCatchAViolation(t *testing.T) {
	for _, c := range []struct {
		from, to string
		ok       bool
	}{
		{"referral", "agreement", false},
		{"agreement", "referral", false},
		{"onboarding", "partner", true},
		{"referral", "policy", true},
		{"policy", "referral", false},
		{"partner", "referral", false},
		{"db", "partner", false},
		{"notify", "db", true},
		{"server", "referral", true},
	} {
		if got := allowed(c.from, c.to); got != c.ok {
			t.Errorf("allowed(%s, %s) = %v, want %v", c.from, c.to, got, c.ok)
		}
	}
}
