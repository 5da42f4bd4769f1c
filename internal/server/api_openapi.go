package server

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"go.yaml.in/yaml/v3"
)

// openAPIYAML is the API's OpenAPI 3.1 document, written by hand as the
// contract (API.md) and checked against real responses in api_test.go.
//
//go:embed openapi.yaml
var openAPIYAML []byte

// openAPIJSON converts the document to JSON once.
var openAPIJSON = sync.OnceValues(func() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(openAPIYAML, &doc); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	doc, err := jsonCompatible(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	return json.Marshal(doc)
})

// mustOpenAPIJSON is the document as JSON; the embedded file is part of the
// program, so a broken one stops the server from being built at all.
func mustOpenAPIJSON() []byte {
	b, err := openAPIJSON()
	if err != nil {
		panic(err)
	}
	return b
}

// jsonCompatible turns YAML's maps with non-string keys (a bare 200) into
// JSON objects.
func jsonCompatible(v any) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			c, err := jsonCompatible(e)
			if err != nil {
				return nil, err
			}
			v[k] = c
		}
		return v, nil
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			var ks string
			switch k := k.(type) {
			case string:
				ks = k
			case int:
				ks = strconv.Itoa(k)
			case bool:
				ks = strconv.FormatBool(k)
			default:
				return nil, fmt.Errorf("unsupported key %v (%T)", k, k)
			}
			c, err := jsonCompatible(e)
			if err != nil {
				return nil, err
			}
			out[ks] = c
		}
		return out, nil
	case []any:
		for i, e := range v {
			c, err := jsonCompatible(e)
			if err != nil {
				return nil, err
			}
			v[i] = c
		}
		return v, nil
	default:
		return v, nil
	}
}

// openAPIDocument serves the OpenAPI document; public, no token needed.
func (s *Server) openAPIDocument(doc []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(doc)
	}
}
