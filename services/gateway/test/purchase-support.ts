/**
 * What the purchase tests share: a deal published into the real Redis by the script the product
 * service publishes with, and a gateway app built on a given Redis port.
 */
import { dealKeys, publishDealCall, runDealScript } from '@flash-deal/contracts'
import type { Telemetry } from '@flash-deal/kit'
import type { Redis } from '@flash-deal/kit/redis'
import { deadUrls, internalTokens, recordingLogger, testTokens } from '@flash-deal/testing'
import { createApp } from '../src/app'
import { purchasePath } from '../src/purchase'
import type { OrderMode } from '../src/purchase/controller'
import type { PurchaseRateLimits } from '../src/purchase/rate-limit'
import type { ReplicaWait } from '../src/purchase/replica-wait'
import type { RedisPort } from '../src/redis/port'

export const tokens = await testTokens()

export interface DealSpec {
  stock?: number
  perUserLimit?: number
  price?: number
  startsAt?: number
  endsAt?: number
}

export async function publishDeal(redis: Redis, spec: DealSpec = {}) {
  const id = crypto.randomUUID()
  await runDealScript(
    redis,
    publishDealCall({
      dealId: id,
      stock: spec.stock ?? 10,
      price: spec.price ?? 1999,
      perUserLimit: spec.perUserLimit ?? 2,
      startsAt: new Date(spec.startsAt ?? Date.now() - 60_000),
      endsAt: new Date(spec.endsAt ?? Date.now() + 3_600_000),
      productId: crypto.randomUUID(),
    }),
  )
  return id
}

export async function dealState(redis: Redis, dealId: string) {
  const [stockKey, , buyersKey, idempotencyKey, outboxKey, ordersKey] = dealKeys(dealId)
  return {
    stock: Number(await redis.get(stockKey)),
    buyers: Object.fromEntries(
      Object.entries(await redis.hgetall(buyersKey)).map(([user, units]) => [user, Number(units)]),
    ),
    idempotency: await redis.hgetall(idempotencyKey),
    outbox: await redis.xrange(outboxKey, '-', '+'),
    orders: await redis.hgetall(ordersKey),
  }
}

export const noLimits: PurchaseRateLimits = {
  user: { perSecond: 0, burst: 1 },
  address: { perSecond: 0, burst: 1 },
}

export async function gatewayOn(
  port: RedisPort,
  options: {
    limits?: PurchaseRateLimits
    mode?: OrderMode
    orderUrl?: string
    telemetry?: Telemetry
    replicaWait?: ReplicaWait
  } = {},
) {
  const logger = recordingLogger()
  const upstream = (name: 'auth' | 'product' | 'order') => ({
    name,
    baseUrl: options.orderUrl ?? deadUrls.http,
    timeoutMs: 2000,
  })
  const app = createApp({
    logger,
    telemetry: options.telemetry,
    maxBodyBytes: 4096,
    redisReady: () => port.ping(),
    verifier: tokens.verifier,
    internalTokens,
    upstreams: { auth: upstream('auth'), product: upstream('product'), order: upstream('order') },
    purchase: purchasePath({
      redis: port,
      logger,
      telemetry: options.telemetry,
      mode: options.mode ?? 'async',
      limits: options.limits ?? noLimits,
      replicaWait: options.replicaWait,
    }),
  })
  return { app, logger }
}

export function purchaseRequest(
  dealId: string,
  options: {
    token?: string
    key?: string | null
    body?: unknown
    headers?: Record<string, string>
  },
) {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers }
  if (options.token) headers.authorization = `Bearer ${options.token}`
  if (options.key !== null) headers['idempotency-key'] = options.key ?? crypto.randomUUID()
  return new Request(`http://gateway/v1/deals/${dealId}/purchase`, {
    method: 'POST',
    headers,
    body: JSON.stringify(options.body ?? { quantity: 1 }),
  })
}
