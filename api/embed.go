// Package api carries the committed contracts to the Go product service, so it serves exactly
// the document the TypeScript one does (the drift check in `make test` compares both).
package api

import _ "embed"

// ProductServiceYAML is api/product-service.v1.yaml, the product service's OpenAPI document.
//
//go:embed product-service.v1.yaml
var ProductServiceYAML []byte
