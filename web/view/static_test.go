package view

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/allyway/allyway/web"
)

// The static handler lives in package web; it is tested here, next to the
// layout that links its files.
func TestStaticHandler(t *testing.T) {
	h := web.StaticHandler()
	get := func(target string, hdr ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	v := web.AssetVersion()
	if len(v) != 12 || web.AssetVersion() != v {
		t.Fatalf("web.AssetVersion() = %q, want a stable 12-char hash", v)
	}

	rec := get("/static/app.css?v=" + v)
	if rec.Code != http.StatusOK {
		t.Fatalf("versioned css: %d", rec.Code)
	}
	if got := rec.Header().Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("versioned Cache-Control = %q", got)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("Content-Type = %q", ct)
	}

	rec = get("/static/htmx.min.js")
	if rec.Code != http.StatusOK || rec.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("unversioned js: %d %q", rec.Code, rec.Header().Get("Cache-Control"))
	}
	etag := rec.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if rec := get("/static/htmx.min.js", "If-None-Match", etag); rec.Code != http.StatusNotModified {
		t.Errorf("revalidation: %d, want 304", rec.Code)
	}

	for _, p := range []string{"/static/", "/static/VENDOR.md", "/static/nope.css", "/static/../static.go"} {
		if rec := get(p); rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, rec.Code)
		}
	}

	req := httptest.NewRequest(http.MethodPost, "/static/app.css", nil)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", rec.Code)
	}
}
