/**
 * A 202's Location answers at once, whatever the relay is doing: with the relay process really
 * stopped (SIGTERM, the process gone), a purchase is accepted and `GET /v1/orders/{id}` through
 * the gateway, right after, is 200 `pending` — read from the record reserve.lua wrote with the
 * reservation — while Postgres has no row and the outbox still holds the record. Started again,
 * the relay takes it on, and the same URL turns `confirmed`.
 */
import { afterAll, expect, setDefaultTimeout, test } from 'bun:test'
import { dealOutboxKey } from '@flash-deal/contracts'
import { queries } from '@flash-deal/db'
import { buyers, closeHarness, db, kv, liveDeal, startStack } from '../src/harness'

setDefaultTimeout(120_000)
afterAll(closeHarness)

const portBase = Number(process.env.SYSTEM_TEST_PORT_BASE ?? 19080) + 40

test('GET right after 202 is 200 pending with the relay stopped, then confirmed once it runs', async () => {
  const stack = await startStack('async', {}, { portBase })
  try {
    const relay = stack.services.relay
    await relay.stop()
    expect(relay.child?.exitCode).not.toBeNull()

    const dealId = await liveDeal(stack, 10, 2)
    const [buyer] = await buyers(1)
    if (!buyer) throw new Error('no buyer')
    const auth = { authorization: `Bearer ${buyer.token}` }
    const accepted = await fetch(`${stack.gatewayUrl}/v1/deals/${dealId}/purchase`, {
      method: 'POST',
      headers: { ...auth, 'idempotency-key': 'first', 'content-type': 'application/json' },
      body: JSON.stringify({ quantity: 2 }),
    })
    expect(accepted.status).toBe(202)
    const { orderId } = (await accepted.json()) as { orderId: string }
    const location = accepted.headers.get('location')
    expect(location).toBe(`/v1/orders/${orderId}`)

    const read = () => fetch(`${stack.gatewayUrl}${location}`, { headers: auth })
    const first = await read()
    expect(first.status).toBe(200)
    expect(await first.json()).toMatchObject({
      id: orderId,
      dealId,
      userId: buyer.id,
      quantity: 2,
      unitPrice: 4900,
      status: 'pending',
      confirmedAt: null,
    })
    // Nothing has moved it: no row in Postgres, the record still waits in the outbox.
    expect(await queries.getOrder(db(), { id: orderId })).toBeNull()
    expect(await kv().xlen(dealOutboxKey(dealId))).toBe(1)
    // Someone else gets the 404 of an unknown order, even while it is pending.
    const [stranger] = await buyers(1)
    const hidden = await fetch(`${stack.gatewayUrl}${location}`, {
      headers: { authorization: `Bearer ${stranger?.token}` },
    })
    expect(hidden.status).toBe(404)

    await relay.start()
    let status = 'pending'
    for (let i = 0; i < 120 && status !== 'confirmed'; i++) {
      await Bun.sleep(250)
      status = ((await (await read()).json()) as { status: string }).status
    }
    expect(status).toBe('confirmed')
    expect((await queries.getOrder(db(), { id: orderId }))?.status).toBe('confirmed')
  } catch (error) {
    console.error(stack.logs())
    throw error
  } finally {
    await stack.stop()
  }
})
