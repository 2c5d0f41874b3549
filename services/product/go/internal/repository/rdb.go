package repository

import (
	"context"
	"errors"

	"flash-deal/services/product/go/internal/generated"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Rdb is the plain strategy: every call is one statement of db/query.sql (sqlc-generated).
type Rdb struct{ q generated.Querier }

func NewRdb(db generated.DBTX) *Rdb { return &Rdb{q: generated.New(db)} }

func fromRow(row generated.Product) Product {
	return Product{ID: row.ID, Name: row.Name, Description: row.Description, Price: row.Price,
		Currency: row.Currency, CreatedAt: Instant(row.CreatedAt), UpdatedAt: Instant(row.UpdatedAt)}
}

func (r *Rdb) GetProduct(ctx context.Context, id uuid.UUID) (Read, error) {
	row, err := r.q.GetProduct(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Read{Source: FromDatabase}, nil
	}
	if err != nil {
		return Read{}, err
	}
	product := fromRow(row)
	return Read{Value: &product, Source: FromDatabase}, nil
}

func (r *Rdb) ListProducts(ctx context.Context, page PageRequest) ([]Product, error) {
	params := generated.ListProductsParams{Limit: page.Limit}
	if page.After != nil {
		params.AfterCreatedAt, params.AfterID = &page.After.CreatedAt, &page.After.ID
	}
	rows, err := r.q.ListProducts(ctx, params)
	if err != nil {
		return nil, err
	}
	products := make([]Product, len(rows))
	for i, row := range rows {
		products[i] = fromRow(row)
	}
	return products, nil
}

func (r *Rdb) CreateProduct(ctx context.Context, input NewProduct) (Product, error) {
	row, err := r.q.CreateProduct(ctx, generated.CreateProductParams{Name: input.Name,
		Description: input.Description, Price: input.Price, Currency: input.Currency})
	return fromRow(row), err
}

func (r *Rdb) UpdateProduct(ctx context.Context, id uuid.UUID, patch ProductPatch) (*Product, error) {
	row, err := r.q.UpdateProduct(ctx, generated.UpdateProductParams{ID: id, Name: patch.Name,
		Description: patch.Description, Price: patch.Price, Currency: patch.Currency})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	product := fromRow(row)
	return &product, nil
}
