/**
 * The system-test harness: the real processes of flash-deal (gateway, product, order API, relay,
 * consumer) spawned on ports of their own against the real Postgres, Redis and Kafka, and the
 * infrastructure itself stopped and started through `infra/local` — so faults are injected for
 * real: a killed process, a stopped broker, a stopped database, a restarted or wiped Redis.
 *
 * Tokens are signed by a test key whose JWKS this process serves; the buyers are real rows in
 * `users` (orders reference them).
 */
import { dealStockKey } from '@flash-deal/contracts'
import { connect, queries, type Sql } from '@flash-deal/db'
import { createRedis, type Redis } from '@flash-deal/kit/redis'
import {
  deadUrls,
  internalAuthSecret,
  internalHeaders,
  recordingLogger,
  repoRoot,
  TestProcess,
  testEnv,
  testTokens,
  uniqueSuffix,
} from '@flash-deal/testing'
import { planStack } from '../../../infra/plan'
import type { ProcessName } from '../../../infra/processes'

const defaultBase = Number(process.env.SYSTEM_TEST_PORT_BASE ?? 19080)
/**
 * A stack's ports from its base: gateway +0, the Upstash emulator +1 (workerd gateway only),
 * product +2, order +3, relay +4, consumer +5, payment sandbox +8, JWKS +9 (the tracing test's collector takes +6 and +7).
 */
export const portsFrom = (base: number) => ({
  gateway: base,
  upstash: base + 1,
  product: base + 2,
  order: base + 3,
  relay: base + 4,
  consumer: base + 5,
  'payment-sandbox': base + 8,
  jwks: base + 9,
})
export const ports = portsFrom(defaultBase)
const url = (port: number) => `http://127.0.0.1:${port}`

export type ServiceName = Exclude<ProcessName, 'auth'>

export const tokens = await testTokens()
// Shared by every system test file of the run (Bun evaluates this module once): the key set the
// spawned services verify tokens with, and the clients the assertions read through.
const jwksServers = new Map<number, ReturnType<typeof Bun.serve>>()
let clients: { sql: Sql; redis: Redis } | undefined

/** The key set the services of a stack verify tokens with, served on that stack's JWKS port. */
function serveJwks(port: number) {
  if (jwksServers.has(port)) return
  jwksServers.set(
    port,
    Bun.serve({ port, hostname: '127.0.0.1', fetch: () => Response.json(tokens.jwks) }),
  )
}

function shared() {
  clients ??= {
    sql: connect(testEnv.databaseUrl, { max: 4 }),
    redis: createRedis(testEnv.redisUrl, recordingLogger(), testEnv.redisClusterNodes),
  }
  return clients
}

/**
 * The processes of one stack, in `async` or `sync` purchase mode. `gateway: 'workerd'` runs the
 * gateway as a Worker on workerd instead of Bun, with the local Upstash emulator (on the stack's
 * unused auth port) in front of the test Redis.
 */
export async function startStack(
  mode: 'async' | 'sync',
  extraEnv: Record<string, string> = {},
  options: { portBase?: number; gateway?: 'bun' | 'workerd' } = {},
) {
  const ports = portsFrom(options.portBase ?? defaultBase)
  serveJwks(ports.jwks)
  shared()
  const common = {
    LOG_LEVEL: 'warn',
    JWKS_URL: `${url(ports.jwks)}/`,
    DATABASE_URL: testEnv.databaseUrl,
    REDIS_URL: testEnv.redisUrl,
    ...(testEnv.redisClusterNodes ? { REDIS_CLUSTER_NODES: testEnv.redisClusterNodes } : {}),
    KAFKA_BROKERS: testEnv.kafkaBrokers.join(','),
    // The gateway signs its internal tokens with it; product and order accept /v1 only with one.
    INTERNAL_AUTH_SECRET: internalAuthSecret,
    ...extraEnv,
  }
  // Every process but auth: the tokens come from this test's key, served on the JWKS port.
  const planned = planStack({
    port: (name) => ports[name as ServiceName],
    gatewayRuntime: options.gateway ?? 'bun',
    upstashToken: 'system-upstash-token',
    without: ['auth'],
    absentUrl: deadUrls.http,
  })
  const own: Partial<Record<ServiceName, Record<string, string>>> = {
    order: { ORDER_MODE: mode, RECONCILE_INTERVAL_MS: '500' },
    relay: { RELAY_NAME: `system-${uniqueSuffix()}`, RELAY_CLAIM_IDLE_MS: '2000' },
    // A killed consumer's partitions come back after 6 s instead of 30.
    consumer: { CONSUMER_SESSION_TIMEOUT_MS: '6000' },
    // Every buyer of these tests comes from one address.
    gateway: { ORDER_MODE: mode, PURCHASE_RATE_PER_ADDRESS: '0' },
  }
  const processes = planned.map(
    (spec) =>
      new TestProcess(spec.name, ['bun', spec.entry], {
        env: { ...process.env, ...common, ...spec.env, ...own[spec.name as ServiceName] },
        readyUrl: spec.readyUrl,
      }),
  )
  const byName = (name: ServiceName) => {
    const found = processes.find((service) => service.name === name)
    if (!found) throw new Error(`no ${name} in this stack`)
    return found
  }
  const services = {
    product: byName('product'),
    order: byName('order'),
    relay: byName('relay'),
    consumer: byName('consumer'),
    gateway: byName('gateway'),
  }
  await Promise.all(processes.map((service) => service.start()))
  return {
    services,
    gatewayUrl: url(ports.gateway),
    productUrl: url(ports.product),
    orderUrl: url(ports.order),
    /** The last output of each process, for a failing test's report. */
    logs() {
      return processes.map((service) => `--- ${service.name}\n${service.log()}`).join('\n')
    },
    async stop() {
      await Promise.all(processes.map((service) => service.stop()))
    },
  }
}
export type Stack = Awaited<ReturnType<typeof startStack>>

/** `infra/local/{up,down}.sh` for one piece, with this run's infrastructure settings. */
export async function infra(
  action: 'up' | 'down' | 'purge',
  piece: 'postgres' | 'redis' | 'kafka',
) {
  const script = action === 'up' ? 'up.sh' : 'down.sh'
  const args = action === 'purge' ? ['--purge', piece] : [piece]
  const child = Bun.spawn(['bash', `infra/local/${script}`, ...args], {
    cwd: repoRoot,
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [code, out, err] = await Promise.all([
    child.exited,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ])
  if (code !== 0) throw new Error(`infra ${action} ${piece} failed (${code}):\n${out}\n${err}`)
}

/** The test's own Postgres and Redis clients (opened on first use). */
export const db = () => shared().sql
export const kv = () => shared().redis

/** Closes what the file used; the next file opens them again. */
export async function closeHarness() {
  for (const server of jwksServers.values()) server.stop(true)
  jwksServers.clear()
  if (clients) {
    await clients.sql.end({ timeout: 5 })
    clients.redis.disconnect()
    clients = undefined
  }
}

/** Buyers as real users, each with a valid access token. */
export async function buyers(count: number) {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const row = await queries.createUser(db(), {
        email: `system-${uniqueSuffix()}-${crypto.randomUUID().slice(0, 8)}@example.test`,
        passwordHash: 'not-a-hash',
        displayName: null,
      })
      if (!row) throw new Error('no user created')
      return { id: row.id, token: await tokens.tokenFor('customer', { sub: row.id }) }
    }),
  )
}
export type Buyer = Awaited<ReturnType<typeof buyers>>[number]

/**
 * A live deal created through the product service (so it is published to Redis for real),
 * called directly as the gateway would (with its internal token). `holdSeconds` unset: the
 * service's default payment window.
 */
export async function liveDeal(
  stack: Stack,
  stock: number,
  perUserLimit: number,
  holdSeconds?: number,
) {
  const admin = await tokens.tokenFor('admin')
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${stack.productUrl}${path}`, {
      method: 'POST',
      headers: {
        ...(await internalHeaders('product')),
        authorization: `Bearer ${admin}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    })
    if (response.status !== 201)
      throw new Error(`${path}: ${response.status} ${await response.text()}`)
    return (await response.json()) as { id: string }
  }
  const product = await post('/v1/products', {
    name: `System ${uniqueSuffix()}`,
    description: '',
    price: 9900,
    currency: 'USD',
  })
  const deal = await post('/v1/deals', {
    productId: product.id,
    price: 4900,
    stock,
    perUserLimit,
    startsAt: new Date(Date.now() - 60_000).toISOString(),
    endsAt: new Date(Date.now() + 3_600_000).toISOString(),
    ...(holdSeconds === undefined ? {} : { holdSeconds }),
  })
  return deal.id
}

export interface Attempt {
  status: number
  orderId?: string
  key: string
  buyer: string
}

/** One purchase through the gateway; network errors count as status 0. */
export async function purchase(
  stack: Stack,
  dealId: string,
  buyer: Buyer,
  key: string,
  quantity = 1,
) {
  try {
    const response = await fetch(`${stack.gatewayUrl}/v1/deals/${dealId}/purchase`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${buyer.token}`,
        'idempotency-key': key,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ quantity }),
      signal: AbortSignal.timeout(10_000),
    })
    const body = (await response.json().catch(() => ({}))) as { orderId?: string }
    return { status: response.status, orderId: body.orderId, key, buyer: buyer.id } as Attempt
  } catch {
    return { status: 0, key, buyer: buyer.id } as Attempt
  }
}

/**
 * One purchase, retried while it answers 503 or nothing (for up to a minute): the outcome is then
 * unknown (Redis may have run the script before the connection dropped, or no replica confirmed
 * it yet). Like a real client, it retries with the same key until settled: the retry answers the
 * purchase that was made, or makes it — never twice. `onUnavailable` counts those answers.
 */
export async function settledPurchase(
  stack: Stack,
  dealId: string,
  buyer: Buyer,
  key: string,
  onUnavailable: () => void = () => {},
) {
  let attempt = await purchase(stack, dealId, buyer, key)
  const deadline = Date.now() + 60_000
  while ((attempt.status === 503 || attempt.status === 0) && Date.now() < deadline) {
    onUnavailable()
    await Bun.sleep(50)
    attempt = await purchase(stack, dealId, buyer, key)
  }
  return attempt
}

/**
 * Steady purchase traffic until `stop()`: `concurrency` loops, each buying one unit with a fresh
 * key for a buyer taken in turn. Every answer is kept, so the test can account for each 202/201.
 */
export function purchaseLoad(stack: Stack, dealId: string, pool: Buyer[], concurrency = 8) {
  const attempts: Attempt[] = []
  let unavailable = 0
  let running = true
  let next = 0
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      const buyer = pool[next++ % pool.length] as Buyer
      const key = `load-${crypto.randomUUID()}`
      attempts.push(
        await settledPurchase(stack, dealId, buyer, key, () => {
          unavailable++
        }),
      )
    }
  })
  return {
    attempts,
    /** Answers that were 503 or nothing, before their retry settled them. */
    unavailable: () => unavailable,
    accepted: () => attempts.filter((a) => a.status === 201 || a.status === 202),
    async stop() {
      running = false
      await Promise.all(loops)
      return attempts
    },
  }
}

/**
 * The accounting every system test ends with: wait (bounded) until Postgres holds as many orders
 * of the deal as were accepted, then compare them one by one.
 */
export async function settle(dealId: string, acceptedIds: Set<string>, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs
  let rows = await queries.listDealOrders(db(), { dealId })
  while (rows.length < acceptedIds.size && Date.now() < deadline) {
    await Bun.sleep(250)
    rows = await queries.listDealOrders(db(), { dealId })
  }
  // A little longer: anything beyond the accepted orders (a duplicate) would show up now.
  await Bun.sleep(500)
  rows = await queries.listDealOrders(db(), { dealId })
  const deal = await queries.getDeal(db(), { id: dealId })
  if (!deal) throw new Error(`deal ${dealId} is gone`)
  return {
    rows,
    deal,
    redisStock: Number(await kv().get(dealStockKey(dealId))),
    units: rows.filter((r) => r.status === 'confirmed').reduce((sum, r) => sum + r.quantity, 0),
  }
}
