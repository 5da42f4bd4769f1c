package server

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// apiValidated records every operation of the OpenAPI document that a test
// called through apiTester.do and whose response was validated against the
// document, with the statuses seen.
var apiValidated = &apiCoverage{seen: map[string]map[int]bool{}}

type apiCoverage struct {
	mu   sync.Mutex
	seen map[string]map[int]bool // "GET /partners/{id}" → statuses
}

func (c *apiCoverage) record(method, pathTemplate string, status int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := strings.ToUpper(method) + " " + pathTemplate
	if c.seen[k] == nil {
		c.seen[k] = map[int]bool{}
	}
	c.seen[k][status] = true
}

// uncovered lists the document's operations (in document order of paths,
// sorted) that no test validated a successful (2xx) response of, each with
// what was seen instead.
func (c *apiCoverage) uncovered(doc *openapi3.T) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, path := range doc.Paths.InMatchingOrder() {
		for method := range doc.Paths.Value(path).Operations() {
			k := method + " " + path
			var statuses []int
			ok := false
			for st := range c.seen[k] {
				statuses = append(statuses, st)
				ok = ok || (st >= 200 && st < 300)
			}
			if ok {
				continue
			}
			slices.Sort(statuses)
			if len(statuses) == 0 {
				out = append(out, k+" (never called)")
			} else {
				out = append(out, fmt.Sprintf("%s (only %v)", k, statuses))
			}
		}
	}
	slices.Sort(out)
	return out
}

// checkAPICoverage runs after the package's tests (TestMain). When every
// test ran (no -run, -skip or -list) and passed, it fails the run if an
// operation of openapi.yaml never had a successful response validated
// against the document by apiTester: a new endpoint must come with a test
// that goes through the contract check. With -run and ALLYWAY_API_COVERAGE=1
// it only prints what the selected tests left uncovered.
func checkAPICoverage(code int, stderr io.Writer) int {
	if code != 0 {
		return code
	}
	filtered := false
	for _, name := range []string{"test.run", "test.skip", "test.list"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			filtered = true
		}
	}
	report := os.Getenv("ALLYWAY_API_COVERAGE") != ""
	if filtered && !report {
		return code
	}
	doc, err := openapi3.NewLoader().LoadFromData(mustOpenAPIJSON())
	if err != nil {
		fmt.Fprintf(stderr, "api coverage: loading the OpenAPI document: %v\n", err)
		return 1
	}
	missing := apiValidated.uncovered(doc)
	if len(missing) == 0 {
		if report {
			fmt.Fprintln(stderr, "api coverage: every operation of openapi.yaml had a successful response validated")
		}
		return code
	}
	fmt.Fprintf(stderr, "api coverage: %d operations of openapi.yaml have no successful response validated by a test (apiTester.do):\n  %s\n",
		len(missing), strings.Join(missing, "\n  "))
	if filtered {
		return code
	}
	return 1
}

// TestAPICoverageCheck: the coverage check counts an operation once a 2xx
// response of it was validated, and reports the others with what was seen.
func TestAPICoverageCheck(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData([]byte(`{"openapi":"3.1.0","info":{"title":"t","version":"1"},
		"paths":{"/a":{"get":{"responses":{"200":{"description":"ok"}}},"post":{"responses":{"201":{"description":"ok"}}}},
		"/a/{id}":{"get":{"responses":{"200":{"description":"ok"}}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	c := &apiCoverage{seen: map[string]map[int]bool{}}
	c.record("get", "/a", 200)
	c.record("POST", "/a", 422)
	got := c.uncovered(doc)
	want := []string{"GET /a/{id} (never called)", "POST /a (only [422])"}
	if !slices.Equal(got, want) {
		t.Fatalf("uncovered = %q, want %q", got, want)
	}
}
