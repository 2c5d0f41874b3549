// Package products is the products controller: list, get (X-Cache: hit|miss), create, patch,
// with the same rules, statuses and problems as services/product/src/products.
package products

import (
	"encoding/base64"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"flash-deal/services/product/go/internal/httpx"
	"flash-deal/services/product/go/internal/input"
	"flash-deal/services/product/go/internal/problem"
	"flash-deal/services/product/go/internal/repository"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
)

var (
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
)

const maxPrice = 2_147_483_647

// Authorizer answers the admin behind the request, or the 401/403 to send.
type Authorizer func(r *http.Request) error

func notFound(id uuid.UUID) error { return problem.NotFound("No product with id " + id.String()) }

// Routes mounts /v1/products.
func Routes(router chi.Router, products repository.ProductRepository, admin Authorizer) {
	router.Get("/v1/products", httpx.Wrap(func(w http.ResponseWriter, r *http.Request) error {
		var errs input.Errors
		query := r.URL.Query()
		input.Query(query, &errs, "limit", "cursor")
		limit := int32(20)
		if raw, ok := query["limit"]; ok {
			n, err := strconv.Atoi(raw[0])
			switch {
			case err != nil:
				errs.Add("query.limit", "Expected integer")
			case n < 1:
				errs.Add("query.limit", "Expected integer to be greater or equal to 1")
			case n > 100:
				errs.Add("query.limit", "Expected integer to be less or equal to 100")
			default:
				limit = int32(n)
			}
		}
		cursor := query.Get("cursor")
		if input.UTF16Length(cursor) > 200 { // characters, as TypeBox counts them (not bytes)
			errs.Add("query.cursor", "Expected string length less or equal to 200")
		}
		if err := errs.Err(); err != nil {
			return err
		}
		page := repository.PageRequest{Limit: limit}
		if cursor != "" { // an empty cursor is the first page, as in the TypeScript service
			after, err := DecodeCursor(cursor)
			if err != nil {
				return err
			}
			page.After = &after
		}
		items, err := products.ListProducts(r.Context(), page)
		if err != nil {
			return err
		}
		var next *string
		if len(items) == int(limit) && len(items) > 0 {
			encoded := EncodeCursor(items[len(items)-1])
			next = &encoded
		}
		if items == nil {
			items = []repository.Product{}
		}
		httpx.JSON(w, http.StatusOK, struct {
			Items      []repository.Product `json:"items"`
			NextCursor *string              `json:"nextCursor"`
		}{items, next})
		return nil
	}))

	router.Get("/v1/products/{id}", httpx.Wrap(func(w http.ResponseWriter, r *http.Request) error {
		id, err := input.PathID(chi.URLParam(r, "id"))
		if err != nil {
			return err
		}
		read, err := products.GetProduct(r.Context(), id)
		if err != nil {
			return err
		}
		// X-Cache says where this answer came from: Redis (hit) or Postgres (miss).
		if read.Source == repository.FromCache {
			w.Header().Set("X-Cache", "hit")
		} else {
			w.Header().Set("X-Cache", "miss")
		}
		if read.Value == nil {
			return notFound(id)
		}
		httpx.JSON(w, http.StatusOK, read.Value)
		return nil
	}))

	router.Post("/v1/products", httpx.Wrap(func(w http.ResponseWriter, r *http.Request) error {
		body, err := input.ReadObject(r)
		if err != nil {
			return err
		}
		name := body.Text("name", true, 1, 200, nil)
		description := body.Text("description", false, 0, 5000, nil)
		price := body.Int("price", true, 0, maxPrice)
		currency := body.Text("currency", true, 3, 3, currencyPattern)
		if err := body.Done(0); err != nil {
			return err
		}
		if err := admin(r); err != nil {
			return err
		}
		created := repository.NewProduct{Name: *name, Price: int32(*price), Currency: *currency}
		if description != nil {
			created.Description = *description
		}
		product, err := products.CreateProduct(r.Context(), created)
		if err != nil {
			return err
		}
		httpx.JSON(w, http.StatusCreated, product)
		return nil
	}))

	router.Patch("/v1/products/{id}", httpx.Wrap(func(w http.ResponseWriter, r *http.Request) error {
		id, body, err := input.IDAndObject(chi.URLParam(r, "id"), r)
		if err != nil {
			return err
		}
		patch := repository.ProductPatch{
			Name:        body.Text("name", false, 1, 200, nil),
			Description: body.Text("description", false, 0, 5000, nil),
			Currency:    body.Text("currency", false, 3, 3, currencyPattern),
		}
		if price := body.Int("price", false, 0, maxPrice); price != nil {
			value := int32(*price)
			patch.Price = &value
		}
		if err := body.Done(1); err != nil {
			return err
		}
		if err := admin(r); err != nil {
			return err
		}
		updated, err := products.UpdateProduct(r.Context(), id, patch)
		if err != nil {
			return err
		}
		if updated == nil {
			return notFound(id)
		}
		httpx.JSON(w, http.StatusOK, updated)
		return nil
	}))
}

// EncodeCursor is the list cursor, opaque to clients: base64url of the last row's created-at
// and id, the TypeScript service's format (either implementation continues the other's pages).
func EncodeCursor(last repository.Product) string {
	return base64.RawURLEncoding.EncodeToString([]byte(last.CreatedAt.String() + "|" + last.ID.String()))
}

// jsDate is what a JavaScript Date reads as an ISO date (expanded years included): a cursor
// holding one is well formed, so an instant outside the API's range in it is 422, not 400.
var jsDate = regexp.MustCompile(`^([+-]\d{6}|\d{4})(-\d{2}(-\d{2})?)?([Tt]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?)?$`)

// DecodeCursor reads a cursor as the TypeScript service does (cursor.ts): 400 for one this API
// never gave out, 422 for a well-formed one holding an instant outside 1970–9999 (Postgres
// could not compare with it); its id in any letter case.
func DecodeCursor(cursor string) (repository.Cursor, error) {
	invalid := problem.BadRequest("query.cursor is not a cursor this API gave out",
		problem.FieldError{Field: "query.cursor", Message: "is not a valid cursor"})
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(cursor, "="))
	if err != nil {
		return repository.Cursor{}, invalid
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) < 2 {
		return repository.Cursor{}, invalid
	}
	id, ok := input.UUID(parts[1])
	if !ok {
		return repository.Cursor{}, invalid
	}
	createdAt, ok := input.DateTime(parts[0])
	if !ok {
		if !jsDate.MatchString(parts[0]) {
			return repository.Cursor{}, invalid
		}
		return repository.Cursor{}, problem.Field("query.cursor", "holds an instant outside 1970–9999")
	}
	return repository.Cursor{CreatedAt: createdAt, ID: id}, nil
}
