// Package repository is Strategy A in Go: how product data is read and written, independent of
// whether a cache sits in front of the database. rdb.go talks to Postgres through the
// sqlc-generated queries; cached.go decorates any repository with the Redis look-aside cache.
// main.go picks one from ENABLE_CACHE and nothing else knows which.
package repository

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// Instant marshals as JavaScript's Date#toISOString does (UTC, milliseconds), so a product this
// service writes to the cache reads back identically in the TypeScript service, and the reverse.
type Instant time.Time

const isoMillis = "2006-01-02T15:04:05.000Z"

func (t Instant) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Time(t).UTC().Format(isoMillis))
}

func (t *Instant) UnmarshalJSON(data []byte) error {
	var text string
	if err := json.Unmarshal(data, &text); err != nil {
		return err
	}
	at, err := time.Parse(time.RFC3339Nano, text)
	*t = Instant(at)
	return err
}

func (t Instant) String() string { return time.Time(t).UTC().Format(isoMillis) }

// Product is the stored product. Its JSON (field names and order) is the product-cache entry
// format shared with the TypeScript service (api/deal-state.md, "product cache").
type Product struct {
	ID          uuid.UUID `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	// Integer count of the currency's minor unit.
	Price     int32   `json:"price"`
	Currency  string  `json:"currency"`
	CreatedAt Instant `json:"createdAt"`
	UpdatedAt Instant `json:"updatedAt"`
}

type NewProduct struct {
	Name        string
	Description string
	Price       int32
	Currency    string
}

// ProductPatch: a nil field keeps its value.
type ProductPatch struct {
	Name        *string
	Description *string
	Price       *int32
	Currency    *string
}

type Source string

const (
	FromCache    Source = "cache"
	FromDatabase Source = "database"
)

// Read is a read with where the answer came from (the API's X-Cache header); Value is nil
// when no product has the id.
type Read struct {
	Value  *Product
	Source Source
}

// Cursor is the keyset position after the last row of the previous page.
type Cursor struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

type PageRequest struct {
	Limit int32
	After *Cursor
}

type ProductRepository interface {
	GetProduct(ctx context.Context, id uuid.UUID) (Read, error)
	ListProducts(ctx context.Context, page PageRequest) ([]Product, error)
	CreateProduct(ctx context.Context, input NewProduct) (Product, error)
	// UpdateProduct answers nil when no product has the id.
	UpdateProduct(ctx context.Context, id uuid.UUID, patch ProductPatch) (*Product, error)
}
