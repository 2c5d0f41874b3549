// Package dealscripts hands the deal Lua scripts to the Go product service: the same files the
// TypeScript service loads (src/deals/*.lua), so both publish a deal to Redis identically.
// Keys and arguments: api/deal-state.md.
package dealscripts

import _ "embed"

// PublishDeal is src/deals/publish-deal.lua (KEYS: stock, info; ARGV: stock, price,
// perUserLimit, startsAt ms, endsAt ms, productId).
//
//go:embed src/deals/publish-deal.lua
var PublishDeal string

// RescheduleDeal is src/deals/reschedule-deal.lua (KEYS: stock, info; ARGV: stock, price,
// perUserLimit, startsAt ms, endsAt ms).
//
//go:embed src/deals/reschedule-deal.lua
var RescheduleDeal string
