/**
 * Faults injected for real while purchases keep arriving: Kafka stopped, the relay killed, the
 * consumer killed, Postgres stopped, Redis restarted, Redis wiped. Each test ends with the same
 * accounting: every accepted purchase is exactly one confirmed row, nothing else is, and the
 * stock adds up in Postgres and Redis.
 *
 * These tests stop and start the infrastructure of the environment they run in (`make test`:
 * its own; a bare `bun test`: the `make dev` one) and restart whatever they stopped.
 */
import { afterAll, expect, setDefaultTimeout, test } from 'bun:test'
import { dealStockKey } from '@flash-deal/contracts'
import {
  buyers,
  closeHarness,
  infra,
  kv,
  liveDeal,
  purchase,
  settle,
  startStack,
} from '../src/harness'
import { acceptsMore, underLoad } from '../src/under-load'

setDefaultTimeout(240_000)
afterAll(closeHarness)

test('Kafka stopped during purchases: purchases are still accepted, and every one lands later', async () => {
  await underLoad(async (_, accepted) => {
    await infra('down', 'kafka')
    try {
      // The outbox absorbs the spike while the broker is gone.
      await acceptsMore(accepted, 50)
    } finally {
      await infra('up', 'kafka')
    }
  })
})

test('relay killed mid-batch and restarted: nothing lost, nothing doubled', async () => {
  await underLoad(async (stack, accepted) => {
    await stack.services.relay.kill()
    await acceptsMore(accepted, 50)
    await stack.services.relay.start()
  })
})

test('consumer killed mid-batch and restarted: nothing lost, nothing doubled', async () => {
  await underLoad(async (stack, accepted) => {
    await stack.services.consumer.kill()
    await acceptsMore(accepted, 50)
    await stack.services.consumer.start()
  })
})

test('Postgres stopped while the consumer runs: the consumer waits, then applies everything', async () => {
  await underLoad(async (_, accepted) => {
    await infra('down', 'postgres')
    try {
      await acceptsMore(accepted, 50)
    } finally {
      await infra('up', 'postgres')
    }
  })
})

test('Redis restarted: purchases fail closed (503) while it is down, then resume', async () => {
  const { unavailable } = await underLoad(async (_, accepted) => {
    await infra('down', 'redis')
    await Bun.sleep(1500)
    await infra('up', 'redis')
    await acceptsMore(accepted, 20)
  })
  // Answers during the outage were 503 (then settled by a retry with the same key), never 202
  // without a reservation: the books above hold exactly the purchases answered 202.
  expect(unavailable).toBeGreaterThan(0)
})

test('Redis wiped: closed until the reconciler rebuilds the deal from Postgres, then right again', async () => {
  const stack = await startStack('async', { PURCHASE_RATE_PER_USER: '0' })
  try {
    const dealId = await liveDeal(stack, 50, 3)
    const pool = await buyers(10)
    const first = await Promise.all(
      pool.map((buyer) => purchase(stack, dealId, buyer, `before-${buyer.id}`, 2)),
    )
    expect(first.every((a) => a.status === 202)).toBe(true)
    await settle(dealId, new Set(first.map((a) => a.orderId as string)))

    // Everything Redis knew is gone: stock, buyers, idempotency records, outboxes, scripts.
    await infra('purge', 'redis')
    await infra('up', 'redis')
    const [buyer] = pool as [(typeof pool)[number]]
    let probe = await purchase(stack, dealId, buyer, `before-${buyer.id}`, 2)
    expect([404, 503, 202]).toContain(probe.status)
    for (let i = 0; i < 100 && probe.status !== 202; i++) {
      await Bun.sleep(100)
      probe = await purchase(stack, dealId, buyer, `before-${buyer.id}`, 2)
    }
    // Restored with its idempotency records: the retry gets the original order, reserving nothing.
    expect(probe.status).toBe(202)
    expect(probe.orderId).toBe(first[0]?.orderId as string)
    expect(await kv().get(dealStockKey(dealId))).toBe('30')
    // And with its buyers: the per-user limit still counts what was bought before the loss.
    expect((await purchase(stack, dealId, buyer, 'after-1', 2)).status).toBe(409)

    const after = await Promise.all(pool.map((b) => purchase(stack, dealId, b, `after-${b.id}`, 1)))
    expect(after.every((a) => a.status === 202)).toBe(true)
    const ids = new Set([...first, ...after].map((a) => a.orderId as string))
    const books = await settle(dealId, ids)
    expect(new Set(books.rows.map((r) => r.id))).toEqual(ids)
    expect(books.units).toBe(30)
    expect(books.deal.stockRemaining).toBe(20)
    expect(books.redisStock).toBe(20)
  } finally {
    await stack.stop()
  }
})
