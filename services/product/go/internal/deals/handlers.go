package deals

import (
	"net/http"
	"time"

	"flash-deal/services/product/go/internal/httpx"
	"flash-deal/services/product/go/internal/input"

	"github.com/go-chi/chi/v5"
)

const maxInt32 = 2_147_483_647

// Routes mounts /v1/deals; admin answers the 401/403 of a write.
func Routes(router chi.Router, deals *Service, admin func(*http.Request) error) {
	router.Get("/v1/deals", httpx.Wrap(func(w http.ResponseWriter, r *http.Request) error {
		var errs input.Errors
		query := r.URL.Query()
		input.Query(query, &errs, "status")
		window := "open"
		if raw, ok := query["status"]; ok {
			window = raw[0]
			if window != "live" && window != "upcoming" && window != "open" {
				errs.Add("query.status", "Property 'status' should be one of: 'live', 'upcoming', 'open'")
			}
		}
		if err := errs.Err(); err != nil {
			return err
		}
		items, err := deals.List(r.Context(), window)
		if err != nil {
			return err
		}
		httpx.JSON(w, http.StatusOK, struct {
			Items []View `json:"items"`
		}{items})
		return nil
	}))

	router.Get("/v1/deals/{id}", httpx.Wrap(func(w http.ResponseWriter, r *http.Request) error {
		id, err := input.PathID(chi.URLParam(r, "id"))
		if err != nil {
			return err
		}
		view, err := deals.Get(r.Context(), id)
		if err != nil {
			return err
		}
		httpx.JSON(w, http.StatusOK, view)
		return nil
	}))

	router.Post("/v1/deals", httpx.Wrap(func(w http.ResponseWriter, r *http.Request) error {
		body, err := input.ReadObject(r)
		if err != nil {
			return err
		}
		productID := body.ID("productId", true)
		price := body.Int("price", true, 0, maxInt32)
		stock := body.Int("stock", true, 1, 1_000_000)
		limit := body.Int("perUserLimit", true, 1, maxInt32)
		startsAt := body.Instant("startsAt", true)
		endsAt := body.Instant("endsAt", true)
		hold := body.Int("holdSeconds", false, 5, 3600)
		if err := body.Done(0); err != nil {
			return err
		}
		if err := admin(r); err != nil {
			return err
		}
		view, err := deals.Create(r.Context(), NewDeal{ProductID: *productID, Price: int32(*price), Stock: int32(*stock),
			PerUserLimit: int32(*limit), StartsAt: millis(*startsAt), EndsAt: millis(*endsAt), HoldSeconds: int32Of(hold)})
		if err != nil {
			return err
		}
		httpx.JSON(w, http.StatusCreated, view)
		return nil
	}))

	router.Patch("/v1/deals/{id}", httpx.Wrap(func(w http.ResponseWriter, r *http.Request) error {
		id, body, err := input.IDAndObject(chi.URLParam(r, "id"), r)
		if err != nil {
			return err
		}
		patch := Patch{
			Price:        int32Of(body.Int("price", false, 0, maxInt32)),
			Stock:        int32Of(body.Int("stock", false, 1, 1_000_000)),
			PerUserLimit: int32Of(body.Int("perUserLimit", false, 1, maxInt32)),
		}
		if at := body.Instant("startsAt", false); at != nil {
			value := millis(*at)
			patch.StartsAt = &value
		}
		if at := body.Instant("endsAt", false); at != nil {
			value := millis(*at)
			patch.EndsAt = &value
		}
		if err := body.Done(1); err != nil {
			return err
		}
		if err := admin(r); err != nil {
			return err
		}
		view, err := deals.Update(r.Context(), id, patch)
		if err != nil {
			return err
		}
		httpx.JSON(w, http.StatusOK, view)
		return nil
	}))
}

// millis keeps what a JavaScript Date keeps of an instant, so both implementations store and
// publish the same value.
func millis(at time.Time) time.Time { return at.Truncate(time.Millisecond) }

func int32Of(value *int64) *int32 {
	if value == nil {
		return nil
	}
	n := int32(*value)
	return &n
}
