// Package dealscripts is the deal-state contract for Go: the Lua scripts that write a deal's
// Redis state (the same files the TypeScript services run, embedded), the keys they touch and
// the KEYS/ARGV of each call. packages/contracts/src/deal-state.ts (with deal-scripts.ts and
// order-scripts.ts) is the TypeScript side; api/deal-state.md describes both. testdata/calls.json pins the calls: the TypeScript builders
// and the ones here are tested against it.
package dealscripts

import (
	_ "embed"

	"github.com/redis/go-redis/v9"
)

var (
	//go:embed publish-deal.lua
	publishDealSource string
	//go:embed reschedule-deal.lua
	rescheduleDealSource string
	//go:embed reserve.lua
	reserveSource string
	//go:embed restore-deal.lua
	restoreDealSource string
	//go:embed mirror-stock.lua
	mirrorStockSource string
)

// Each script is hashed once; go-redis runs it by SHA (EVALSHA) and sends the source (EVAL)
// when Redis answers NOSCRIPT, as the TypeScript loader (packages/kit/src/lua.ts) does.
var (
	PublishDealScript    = redis.NewScript(publishDealSource)
	RescheduleDealScript = redis.NewScript(rescheduleDealSource)
	ReserveScript        = redis.NewScript(reserveSource)
	RestoreDealScript    = redis.NewScript(restoreDealSource)
	MirrorStockScript    = redis.NewScript(mirrorStockSource)
)
