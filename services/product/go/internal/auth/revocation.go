package auth

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"flash-deal/services/product/go/internal/problem"

	"github.com/redis/go-redis/v9"
)

// RevokedSessionsKey is the sorted set auth records revoked sessions in (decisions §2): member
// the session id (`sid`), score the epoch ms after which the entry may be dropped.
const RevokedSessionsKey = "auth:revoked-sessions"

// Revocations is a local copy of the revoked sessions, refreshed in the background with one
// ZRANGEBYSCORE, so checking a token costs no Redis call. While Redis is unreachable the last
// copy stays in force.
type Revocations struct {
	redis   redis.UniversalClient
	logger  *slog.Logger
	mu      sync.RWMutex
	revoked map[string]struct{}
}

func NewRevocations(client redis.UniversalClient, logger *slog.Logger) *Revocations {
	return &Revocations{redis: client, logger: logger, revoked: map[string]struct{}{}}
}

// Refresh reads the sessions still revoked now.
func (r *Revocations) Refresh(ctx context.Context) error {
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	members, err := r.redis.ZRangeByScore(ctx, RevokedSessionsKey, &redis.ZRangeBy{Min: now, Max: "+inf"}).Result()
	if err != nil {
		return err
	}
	revoked := make(map[string]struct{}, len(members))
	for _, sid := range members {
		revoked[sid] = struct{}{}
	}
	r.mu.Lock()
	r.revoked = revoked
	r.mu.Unlock()
	return nil
}

// Run refreshes every interval until ctx ends.
func (r *Revocations) Run(ctx context.Context, every time.Duration) {
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	failing := false
	for {
		if err := r.Refresh(ctx); err != nil && ctx.Err() == nil {
			if !failing {
				r.logger.Warn("revoked sessions unreadable in Redis; keeping the last copy", "error", err.Error())
			}
			failing = true
		} else {
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// Check refuses a token of a revoked session.
func (r *Revocations) Check(claims Claims) error {
	r.mu.RLock()
	_, revoked := r.revoked[claims.SessionID]
	r.mu.RUnlock()
	if revoked {
		return &problem.Error{Status: 401, Slug: "session-revoked", Title: "Session revoked",
			Detail: "This session has been signed out", Bearer: true}
	}
	return nil
}
