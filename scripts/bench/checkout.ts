/**
 * The checkout phase of `make bench-purchase`, through the async gateway like any client, once
 * the relay and consumer are running: the checkout deal (a short payment window) is sold out,
 * a share of those orders is paid (the real pay route, charged by the payment sandbox), the rest
 * is left to expire, and once the expiry job has released them (the deal's `remaining` back
 * up) other purchases buy the released units and pay for them too. Prints payments per second
 * and expiries released per second, and writes what the correctness check needs to argv[3]
 * (services/order/src/cli/bench-check.ts, BENCH_CHECKOUT, proves the books balance).
 *
 *   GATEWAY_URL=... BENCH_PAY_SHARE=0.5 bun scripts/bench/checkout.ts setup.json checkout.json
 */
import type { PurchaseBenchSetup } from './purchase-setup'

const env = process.env
const gateway = env.GATEWAY_URL ?? 'http://127.0.0.1:8080'
const payShare = Number(env.BENCH_PAY_SHARE ?? 0.5)
const concurrency = Number(env.BENCH_CHECKOUT_CONCURRENCY ?? 16)
const [setupPath, outputPath] = process.argv.slice(2)
if (!setupPath || !outputPath) {
  console.error('usage: bun scripts/bench/checkout.ts <setup.json> <checkout.json>')
  process.exit(64)
}
const setup = (await Bun.file(setupPath).json()) as PurchaseBenchSetup
const { checkout } = setup
const dealId = setup.deals.checkout

interface Order {
  orderId: string
  token: string
}

/** Runs `work` over `items`, `concurrency` at a time; answers the seconds it took. */
async function timed<T>(items: T[], work: (item: T) => Promise<void>) {
  const started = performance.now()
  const queue = [...items]
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item)
    }),
  )
  return (performance.now() - started) / 1000
}

const tally = (counts: Record<string, number>, status: number) => {
  counts[status] = (counts[status] ?? 0) + 1
}

/** One unit per purchase, buyers in turn; answers the accepted orders and every status seen. */
async function buy(wave: string, count: number) {
  const orders: Order[] = []
  const statuses: Record<string, number> = {}
  const seconds = await timed([...Array(count).keys()], async (n) => {
    const token = setup.tokens[n % setup.tokens.length] as string
    const response = await fetch(`${gateway}/v1/deals/${dealId}/purchase`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'idempotency-key': `checkout-${wave}-${n}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ quantity: 1 }),
    })
    tally(statuses, response.status)
    const body = (await response.json()) as { orderId?: string }
    if (response.status === 202 && body.orderId) orders.push({ orderId: body.orderId, token })
  })
  return { orders, statuses, seconds }
}

/** Pays each order with the sandbox's succeeding test card; answers the statuses and the rate. */
async function pay(orders: Order[]) {
  const statuses: Record<string, number> = {}
  const paid: string[] = []
  const seconds = await timed(orders, async ({ orderId, token }) => {
    const response = await fetch(`${gateway}/v1/orders/${orderId}/payment`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'idempotency-key': `pay-${orderId}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ paymentMethod: 'pm_card_visa' }),
    })
    tally(statuses, response.status)
    if (response.status === 200) paid.push(orderId)
    await response.arrayBuffer()
  })
  return { paid, statuses, seconds, perSecond: orders.length / seconds }
}

const remaining = async () => {
  const response = await fetch(`${gateway}/v1/deals/${dealId}`)
  return ((await response.json()) as { remaining: number }).remaining
}

/**
 * Waits (bounded) until `remaining` is back to `target` and times the releases: from the first
 * unit given back to the last.
 */
async function releases(target: number, timeoutMs: number) {
  const started = Date.now()
  let first: number | undefined
  let now = await remaining()
  while (now < target && Date.now() - started < timeoutMs) {
    await Bun.sleep(50)
    now = await remaining()
    if (first === undefined && now > 0) first = Date.now()
  }
  const seconds = first === undefined ? 0 : (Date.now() - first) / 1000
  return { remaining: now, waitedSeconds: (Date.now() - started) / 1000, seconds }
}

const first = await buy('first', checkout.stock)
const share = first.orders.filter((_, n) => n < first.orders.length * payShare)
const unpaid = first.orders.length - share.length
const payments = await pay(share)
const soldOutWhileHeld = await remaining()
// The unpaid holds expire holdSeconds after they were accepted.
const expiry = await releases(unpaid, (checkout.holdSeconds + 60) * 1000)
const second = await buy('second', expiry.remaining + 1)
const secondPayments = await pay(second.orders)

const figures = {
  dealId,
  stock: checkout.stock,
  perUserLimit: checkout.perUserLimit,
  holdSeconds: checkout.holdSeconds,
  first: { accepted: first.orders.length, statuses: first.statuses },
  payments: { ...payments, paid: payments.paid.length },
  soldOutWhileHeld,
  expired: {
    units: unpaid,
    ...expiry,
    perSecond: expiry.seconds > 0 ? unpaid / expiry.seconds : 0,
  },
  second: { accepted: second.orders.length, statuses: second.statuses },
  secondPayments: { ...secondPayments, paid: secondPayments.paid.length },
  accepted: first.orders.length + second.orders.length,
  paid: payments.paid.length + secondPayments.paid.length,
}
await Bun.write(outputPath, JSON.stringify(figures, null, 2))
console.log(
  `checkout: ${first.orders.length} held, ${payments.paid.length} paid in ${payments.seconds.toFixed(1)} s ` +
    `(${Math.round(payments.perSecond)} payments/s), ${unpaid} left to expire: released after ` +
    `${expiry.waitedSeconds.toFixed(1)} s, over ${expiry.seconds.toFixed(1)} s ` +
    `(${Math.round(figures.expired.perSecond)} released/s); ${second.orders.length} released units ` +
    `bought again and ${secondPayments.paid.length} paid (${Math.round(secondPayments.perSecond)} payments/s)`,
)
