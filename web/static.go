// Package web holds the embedded static assets (stylesheet, scripts, icons)
// and the handler that serves them under /static/.
//
// Keep this package free of imports of web/view or any handler package:
// web/view imports it for AssetVersion, so the reverse would be a cycle.
package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"sync"
)

// Static is web/static/ as embedded into the binary; paths start with
// "static/".
//
//go:embed static
var Static embed.FS

// servedExt lists what StaticHandler hands out; anything else in the
// directory (VENDOR.md, …) is not served.
var servedExt = map[string]bool{
	".css":   true,
	".js":    true,
	".svg":   true,
	".png":   true,
	".ico":   true,
	".woff2": true,
}

type assetInfo struct {
	version string            // short hash of every embedded file
	etags   map[string]string // file name under static/ → strong ETag
}

var assets = sync.OnceValue(func() assetInfo {
	info := assetInfo{etags: map[string]string{}}
	var names []string
	err := fs.WalkDir(Static, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			names = append(names, name)
		}
		return nil
	})
	if err != nil {
		panic("web: walking embedded static files: " + err.Error())
	}
	sort.Strings(names)
	all := sha256.New()
	for _, name := range names {
		b, err := Static.ReadFile(name)
		if err != nil {
			panic("web: reading embedded " + name + ": " + err.Error())
		}
		sum := sha256.Sum256(b)
		all.Write([]byte(name))
		all.Write([]byte{0})
		all.Write(sum[:])
		info.etags[strings.TrimPrefix(name, "static/")] = `"` + hex.EncodeToString(sum[:8]) + `"`
	}
	info.version = hex.EncodeToString(all.Sum(nil))[:12]
	return info
})

// AssetVersion is a short hash of all embedded static files, computed once.
// Links carry it as ?v=… so a new build busts browser caches.
func AssetVersion() string { return assets().version }

// StaticHandler serves the embedded files; mount it at /static/ (it strips
// that prefix itself). A request with a ?v= query gets a year-long immutable
// cache lifetime; without one the response must be revalidated (ETag).
// Directories and non-asset files are 404.
func StaticHandler() http.Handler {
	sub, err := fs.Sub(Static, "static")
	if err != nil {
		panic("web: " + err.Error())
	}
	files := http.FileServerFS(sub)
	return http.StripPrefix("/static", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		etag, ok := assets().etags[name]
		if !ok || !servedExt[path.Ext(name)] {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		if r.URL.Query().Has("v") {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		h.Set("ETag", etag)
		h.Set("X-Content-Type-Options", "nosniff")
		// Serve exactly the cleaned name: FileServer would otherwise
		// redirect "/index.html" and similar.
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + name
		files.ServeHTTP(w, r2)
	}))
}
