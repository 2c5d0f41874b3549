/**
 * Redis keys of a deal. The `{id}` hash tag puts every key of one deal in one cluster slot, so
 * one Lua call can touch them all (Redis Cluster, Upstash).
 */
export const dealStockKey = (dealId: string) => `deal:{${dealId}}:stock`
export const dealInfoKey = (dealId: string) => `deal:{${dealId}}:info`
