// Package deals: created in Postgres and published to Redis in one step (the publish happens
// inside the transaction, so a deal Redis does not know about is never committed), read with a
// derived status and the remaining stock from wherever it is true right now. The Redis writes
// go only through the deal scripts the TypeScript services run (packages/contracts/lua, with the
// same KEYS and ARGV: api/deal-state.md), by SHA with a fallback to EVAL.
package deals

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"strconv"
	"time"

	dealscripts "flash-deal/packages/contracts/lua"
	"flash-deal/services/product/go/internal/generated"
	"flash-deal/services/product/go/internal/httpx"
	"flash-deal/services/product/go/internal/problem"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

type Status string

// View is a deal as the API shows it.
type View struct {
	ID           uuid.UUID `json:"id"`
	ProductID    uuid.UUID `json:"productId"`
	Price        int32     `json:"price"`
	Stock        int32     `json:"stock"`
	PerUserLimit int32     `json:"perUserLimit"`
	StartsAt     string    `json:"startsAt"`
	EndsAt       string    `json:"endsAt"`
	HoldSeconds  int32     `json:"holdSeconds"`
	Status       Status    `json:"status"`
	Remaining    int32     `json:"remaining"`
}

type NewDeal struct {
	ProductID    uuid.UUID
	Price        int32
	Stock        int32
	PerUserLimit int32
	StartsAt     time.Time
	EndsAt       time.Time
	// HoldSeconds: the payment window; nil takes the database's default (600 s).
	HoldSeconds *int32
}

// Patch: nil keeps the field.
type Patch struct {
	Price        *int32
	Stock        *int32
	PerUserLimit *int32
	StartsAt     *time.Time
	EndsAt       *time.Time
}

type Service struct {
	pool   *pgxpool.Pool
	redis  redis.UniversalClient
	logger *slog.Logger
}

func NewService(pool *pgxpool.Pool, client redis.UniversalClient, logger *slog.Logger) *Service {
	return &Service{pool: pool, redis: client, logger: logger}
}

// deal is the row every deal query returns (sqlc makes one identical type per query; a Go
// conversion turns each into this one, and stops compiling if a query's columns drift).
type deal struct {
	ID             uuid.UUID
	ProductID      uuid.UUID
	Price          int32
	Stock          int32
	StockRemaining int32
	PerUserLimit   int32
	StartsAt       time.Time
	EndsAt         time.Time
	CreatedAt      time.Time
	HoldSeconds    int32
}

// terms: the deal as the deal scripts write it to Redis.
func (d deal) terms() dealscripts.Deal {
	return dealscripts.Deal{ID: d.ID.String(), Stock: d.Stock, Price: d.Price, PerUserLimit: d.PerUserLimit,
		StartsAt: d.StartsAt, EndsAt: d.EndsAt, ProductID: d.ProductID.String()}
}

func dealStarted() error {
	return problem.Conflict("deal-started", "Deal already started", "A deal that has started (or ended) cannot be edited")
}

func (s *Service) Create(ctx context.Context, input NewDeal) (View, error) {
	if !input.EndsAt.After(input.StartsAt) {
		return View{}, problem.Field("body.endsAt", "must be after startsAt")
	}
	if input.PerUserLimit > input.Stock {
		return View{}, problem.Field("body.perUserLimit", "must not exceed stock")
	}
	queries := generated.New(s.pool)
	if _, err := queries.GetProduct(ctx, input.ProductID); errors.Is(err, pgx.ErrNoRows) {
		return View{}, problem.Field("body.productId", "no product has this id")
	} else if err != nil {
		return View{}, err
	}
	var created deal
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		row, err := generated.New(tx).CreateDeal(ctx, generated.CreateDealParams{ProductID: input.ProductID,
			Price: input.Price, Stock: input.Stock, PerUserLimit: input.PerUserLimit, StartsAt: input.StartsAt, EndsAt: input.EndsAt, HoldSeconds: input.HoldSeconds})
		if err != nil {
			return err
		}
		created = deal(row)
		if err := s.publish(ctx, created); err != nil {
			s.logger.Error("deal publish to Redis failed; nothing was created", "error", err.Error())
			return problem.Unavailable("Deals cannot be published right now; try again shortly", 1)
		}
		return nil
	})
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, created, time.Now()), nil
}

func (s *Service) publish(ctx context.Context, d deal) error {
	if err := dealscripts.PublishDeal(d.terms()).Run(ctx, s.redis).Err(); err != nil {
		return err
	}
	return dealscripts.RegisterDealOutbox(ctx, s.redis, d.ID.String())
}

// Update edits a deal that has not started. Postgres (`starts_at > now()`) and Redis (its own
// clock, in the script) must both agree it has not started; otherwise 409 and nothing changes.
func (s *Service) Update(ctx context.Context, id uuid.UUID, patch Patch) (View, error) {
	current, err := s.find(ctx, id)
	if err != nil {
		return View{}, err
	}
	startsAt, endsAt := current.StartsAt, current.EndsAt
	if patch.StartsAt != nil {
		startsAt = *patch.StartsAt
	}
	if patch.EndsAt != nil {
		endsAt = *patch.EndsAt
	}
	if !endsAt.After(startsAt) {
		return View{}, problem.Field("body.endsAt", "must be after startsAt")
	}
	limit, stock := current.PerUserLimit, current.Stock
	if patch.PerUserLimit != nil {
		limit = *patch.PerUserLimit
	}
	if patch.Stock != nil {
		stock = *patch.Stock
	}
	if limit > stock {
		return View{}, problem.Field("body.perUserLimit", "must not exceed stock")
	}
	var updated deal
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		row, err := generated.New(tx).UpdateScheduledDeal(ctx, generated.UpdateScheduledDealParams{ID: id,
			Price: patch.Price, Stock: patch.Stock, PerUserLimit: patch.PerUserLimit, StartsAt: patch.StartsAt, EndsAt: patch.EndsAt})
		if errors.Is(err, pgx.ErrNoRows) {
			return dealStarted()
		}
		if err != nil {
			return err
		}
		updated = deal(row)
		replaced, err := dealscripts.RescheduleDeal(updated.terms()).Run(ctx, s.redis).Int()
		if err != nil {
			s.logger.Error("deal update could not reach Redis; nothing was changed", "error", err.Error())
			return problem.Unavailable("Deals cannot be changed right now; try again shortly", 1)
		}
		if replaced != 1 {
			return dealStarted()
		}
		return nil
	})
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, updated, time.Now()), nil
}

func (s *Service) find(ctx context.Context, id uuid.UUID) (deal, error) {
	row, err := generated.New(s.pool).GetDeal(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return deal{}, problem.NotFound("No deal with id " + id.String())
	}
	return deal(row), err
}

func (s *Service) Get(ctx context.Context, id uuid.UUID) (View, error) {
	d, err := s.find(ctx, id)
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, d, time.Now()), nil
}

// List answers the deals that have not ended: `open` all, `live` the started, `upcoming` the others.
func (s *Service) List(ctx context.Context, window string) ([]View, error) {
	rows, err := generated.New(s.pool).ListOpenDeals(ctx, generated.ListOpenDealsParams{Window: window, Limit: 100})
	if err != nil {
		return nil, err
	}
	now := time.Now()
	views := make([]View, len(rows))
	for i, row := range rows {
		views[i] = s.view(ctx, deal(row), now)
	}
	return views, nil
}

const isoMillis = "2006-01-02T15:04:05.000Z"

func (s *Service) view(ctx context.Context, d deal, now time.Time) View {
	running := !d.StartsAt.After(now) && now.Before(d.EndsAt)
	remaining := d.StockRemaining
	if running {
		remaining = s.liveRemaining(ctx, d)
	}
	var status Status
	switch {
	case now.Before(d.StartsAt):
		status = "scheduled"
	case !running:
		status = "ended"
	case remaining <= 0:
		status = "sold_out"
	default:
		status = "live"
	}
	return View{ID: d.ID, ProductID: d.ProductID, Price: d.Price, Stock: d.Stock, PerUserLimit: d.PerUserLimit,
		StartsAt: d.StartsAt.UTC().Format(isoMillis), EndsAt: d.EndsAt.UTC().Format(isoMillis), HoldSeconds: d.HoldSeconds, Status: status, Remaining: remaining}
}

// liveRemaining: during the sale Redis holds the truth (reservations land there first).
func (s *Service) liveRemaining(ctx context.Context, d deal) int32 {
	value, err := s.redis.Get(ctx, dealscripts.StockKey(d.ID.String())).Result()
	if err == nil {
		if n, err := strconv.ParseInt(value, 10, 64); err == nil {
			return int32(min(max(0, n), math.MaxInt32))
		}
		httpx.Logger(ctx, s.logger).Error("deal stock in Redis is not an integer, answering from Postgres", "dealId", d.ID.String())
	} else if !errors.Is(err, redis.Nil) {
		httpx.Logger(ctx, s.logger).Warn("deal stock unreadable in Redis, answering from Postgres", "dealId", d.ID.String(), "error", err.Error())
	}
	return d.StockRemaining
}
