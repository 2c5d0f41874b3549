// Package health: /health/live (the process is up) and /health/ready (every dependency answers;
// 503 naming the ones that do not), the TypeScript services' shapes.
package health

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"flash-deal/services/product/go/internal/httpx"

	"github.com/go-chi/chi/v5"
)

// Check answers nil when its dependency answers.
type Check func(context.Context) error

type readiness struct {
	Status string            `json:"status"`
	Down   []string          `json:"down"`
	Checks map[string]string `json:"checks"`
}

func Routes(router chi.Router, checks map[string]Check, timeout time.Duration) {
	router.Get("/health/live", func(w http.ResponseWriter, _ *http.Request) {
		httpx.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	router.Get("/health/ready", func(w http.ResponseWriter, r *http.Request) {
		result := readiness{Status: "ok", Down: []string{}, Checks: map[string]string{}}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for name, check := range checks {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(r.Context(), timeout)
				defer cancel()
				state := "ok"
				if err := check(ctx); err != nil {
					if ctx.Err() != nil {
						state = fmt.Sprintf("down: %s did not answer in %d ms", name, timeout.Milliseconds())
					} else {
						state = "down: " + err.Error()
					}
				}
				mu.Lock()
				result.Checks[name] = state
				if state != "ok" {
					result.Down = append(result.Down, name)
				}
				mu.Unlock()
			})
		}
		wg.Wait()
		sort.Strings(result.Down)
		status := http.StatusOK
		if len(result.Down) > 0 {
			result.Status, status = "unavailable", http.StatusServiceUnavailable
		}
		httpx.JSON(w, status, result)
	})
}
