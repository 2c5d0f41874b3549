// Package openapi serves the product contract: the committed api/product-service.v1.yaml as
// JSON at /swagger/json (key order kept, so `bun scripts/openapi.ts --check` compares it with
// the file byte for byte, as it does for the TypeScript service), and Swagger UI at /swagger
// from the swagger-ui dist the swaggo/files module embeds (no CDN, works offline).
package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"

	"flash-deal/api"

	"github.com/go-chi/chi/v5"
	swaggerFiles "github.com/swaggo/files/v2"
	"go.yaml.in/yaml/v3"
)

// Document is the committed OpenAPI document as JSON.
func Document() ([]byte, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(api.ProductServiceYAML, &root); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := writeJSON(&out, &root); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func writeJSON(out *bytes.Buffer, node *yaml.Node) error {
	switch node.Kind {
	case yaml.DocumentNode:
		return writeJSON(out, node.Content[0])
	case yaml.AliasNode:
		return writeJSON(out, node.Alias)
	case yaml.MappingNode:
		out.WriteByte('{')
		for i := 0; i < len(node.Content); i += 2 {
			if i > 0 {
				out.WriteByte(',')
			}
			key, _ := json.Marshal(node.Content[i].Value)
			out.Write(key)
			out.WriteByte(':')
			if err := writeJSON(out, node.Content[i+1]); err != nil {
				return err
			}
		}
		out.WriteByte('}')
	case yaml.SequenceNode:
		out.WriteByte('[')
		for i, item := range node.Content {
			if i > 0 {
				out.WriteByte(',')
			}
			if err := writeJSON(out, item); err != nil {
				return err
			}
		}
		out.WriteByte(']')
	case yaml.ScalarNode:
		switch node.Tag {
		case "!!null":
			out.WriteString("null")
		case "!!bool", "!!int", "!!float":
			var value any
			if err := node.Decode(&value); err != nil {
				return err
			}
			encoded, _ := json.Marshal(value)
			out.Write(encoded)
		default:
			encoded, _ := json.Marshal(node.Value)
			out.Write(encoded)
		}
	default:
		return fmt.Errorf("openapi: unexpected YAML node kind %d", node.Kind)
	}
	return nil
}

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <title>flash-deal product</title>
  <link rel="stylesheet" href="/swagger/assets/swagger-ui.css" />
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/swagger/assets/swagger-ui-bundle.js" crossorigin></script>
  <script>
    window.onload = () => { window.ui = SwaggerUIBundle({ url: '/swagger/json', dom_id: '#swagger-ui' }) }
  </script>
</body>
</html>
`

// Routes mounts /swagger, /swagger/json and the UI's two assets.
func Routes(mux interface {
	Get(string, http.HandlerFunc)
}, notFound http.HandlerFunc) error {
	document, err := Document()
	if err != nil {
		return err
	}
	mux.Get("/swagger", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page))
	})
	mux.Get("/swagger/json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(document)))
		_, _ = w.Write(document)
	})
	assets := map[string]string{"swagger-ui.css": "text/css; charset=utf-8", "swagger-ui-bundle.js": "text/javascript; charset=utf-8"}
	mux.Get("/swagger/assets/{file}", func(w http.ResponseWriter, r *http.Request) {
		name := chi.URLParam(r, "file")
		contentType, ok := assets[name]
		if !ok {
			notFound(w, r)
			return
		}
		content, err := fs.ReadFile(swaggerFiles.FS, name)
		if err != nil {
			notFound(w, r)
			return
		}
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write(content)
	})
	return nil
}
