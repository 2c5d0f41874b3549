/**
 * The set-up of `make bench-purchase`, through a gateway like any client: logs in the admin,
 * creates a product and live deals (one per purchase run, one for the crowd run and one for the
 * checkout phase, so the runs never share stock or buyers), and signs up and logs in a few customers whose access tokens
 * the k6 VUs share.
 * Writes what the load script and the correctness check need as JSON to the path in argv[2].
 *
 * Logins are few on purpose: argon2id costs tens of milliseconds of CPU each, which the two
 * cores would otherwise spend here instead of on the purchases being measured. The customers
 * keep the same emails from run to run, so a second run only logs them in.
 *
 *   GATEWAY_URL=... bun scripts/bench/purchase-setup.ts .state/bench/setup.json
 */

const env = process.env
const gateway = env.GATEWAY_URL ?? 'http://127.0.0.1:8080'
const stock = Number(env.BENCH_STOCK ?? 1_000_000)
/** The crowd run's hot deal: fewer units than arrivals, so it sells out mid-crowd. */
const crowdStock = Number(env.BENCH_CROWD_STOCK ?? 1000)
const customerCount = Number(env.BENCH_CUSTOMERS ?? 20)
const dealMinutes = Number(env.BENCH_DEAL_MINUTES ?? 60)
/** The checkout phase's deal (scripts/bench/checkout.ts): its units and its payment window. */
const checkoutStock = Number(env.BENCH_CHECKOUT_STOCK ?? 600)
const holdSeconds = Number(env.BENCH_HOLD_SECONDS ?? 10)
// Twice a buyer's share of the stock: the limit is there to be checked, never what refuses.
const checkoutPerUser = Math.ceil((2 * checkoutStock) / customerCount)
/** The purchase runs' orders stay held for the whole bench (the longest window a deal takes). */
const longestHoldSeconds = 3600
const customerPassword = 'bench-buyer-password-1'
const outputPath = process.argv[2]

export interface PurchaseBenchSetup {
  gatewayUrl: string
  productId: string
  /** Units each deal starts with; also every customer's per-user limit. */
  stock: number
  deals: {
    async: string
    sync: string
    traced: string
    pipeline: string
    'async-upstash': string
    edge: string
    crowd: string
    checkout: string
  }
  /** Units of the crowd deal (its per-user limit too: only the stock refuses). */
  crowdStock: number
  /** The checkout phase's deal: units, per-user limit and payment window. */
  checkout: { stock: number; perUserLimit: number; holdSeconds: number }
  /** Access tokens of the customers, shared round-robin by the VUs. */
  tokens: string[]
}

async function call<T>(method: string, path: string, body: unknown, token?: string): Promise<T> {
  const response = await fetch(`${gateway}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  })
  if (!response.ok) {
    throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`)
  }
  return (await response.json()) as T
}

const login = async (email: string, password: string) =>
  (await call<{ accessToken: string }>('POST', '/v1/auth/login', { email, password })).accessToken

async function customerToken(index: number): Promise<string> {
  const email = `bench-buyer-${String(index).padStart(3, '0')}@example.test`
  const response = await fetch(`${gateway}/v1/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: customerPassword }),
  })
  // 409: signed up by an earlier run, which is fine: the password is the same.
  if (response.status !== 201 && response.status !== 409) {
    throw new Error(`signup of ${email} answered ${response.status}: ${await response.text()}`)
  }
  return login(email, customerPassword)
}

async function createDeal(
  adminToken: string,
  productId: string,
  units = stock,
  // As many as the stock: every request of the run should be a purchase, not a refusal.
  rules = { perUserLimit: units, holdSeconds: longestHoldSeconds },
): Promise<string> {
  const now = Date.now()
  const deal = await call<{ id: string; status: string }>(
    'POST',
    '/v1/deals',
    {
      productId,
      price: 9_900,
      stock: units,
      ...rules,
      startsAt: new Date(now).toISOString(),
      endsAt: new Date(now + dealMinutes * 60_000).toISOString(),
    },
    adminToken,
  )
  return deal.id
}

if (!outputPath) {
  console.error('usage: bun scripts/bench/purchase-setup.ts <output.json>')
  process.exit(64)
}

const adminToken = await login(
  env.ADMIN_EMAIL ?? 'admin@flash-deal.local',
  env.ADMIN_PASSWORD ?? 'change-me-admin-1',
)
const product = await call<{ id: string }>(
  'POST',
  '/v1/products',
  {
    name: 'Benchmark flash deal',
    description: 'Bought by make bench-purchase',
    price: 19_900,
    currency: 'USD',
  },
  adminToken,
)
const deals = {
  async: await createDeal(adminToken, product.id),
  sync: await createDeal(adminToken, product.id),
  traced: await createDeal(adminToken, product.id),
  pipeline: await createDeal(adminToken, product.id),
  'async-upstash': await createDeal(adminToken, product.id),
  edge: await createDeal(adminToken, product.id),
  crowd: await createDeal(adminToken, product.id, crowdStock),
  checkout: await createDeal(adminToken, product.id, checkoutStock, {
    perUserLimit: checkoutPerUser,
    holdSeconds,
  }),
}

// Two at a time: one per core, so the auth service hashes without queueing behind itself.
const tokens: string[] = []
for (let index = 1; index <= customerCount; index += 2) {
  const batch = [index, index + 1].filter((n) => n <= customerCount)
  tokens.push(...(await Promise.all(batch.map(customerToken))))
}

const setup: PurchaseBenchSetup = {
  gatewayUrl: gateway,
  productId: product.id,
  stock,
  deals,
  crowdStock,
  checkout: { stock: checkoutStock, perUserLimit: checkoutPerUser, holdSeconds },
  tokens,
}
await Bun.write(outputPath, JSON.stringify(setup, null, 2))
console.log(
  `setup: product ${product.id}, async deal ${deals.async}, sync deal ${deals.sync}, traced deal ${deals.traced}, ` +
    `pipeline deal ${deals.pipeline}, async-upstash deal ${deals['async-upstash']}, edge deal ${deals.edge}, ` +
    `crowd deal ${deals.crowd} (${crowdStock} units), ` +
    `checkout deal ${deals.checkout} (${checkoutStock} units, ${holdSeconds} s to pay), ` +
    `${stock} units each, ${tokens.length} customers`,
)
