import { describe, expect, test } from 'bun:test'
import {
  decodeOrderAccepted,
  fieldsToRecord,
  type OrderAccepted,
  orderAcceptedFromOutbox,
  outboxEntryFields,
} from '../src/order-accepted'

const event: OrderAccepted = {
  type: 'OrderAccepted',
  version: 1,
  orderId: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
  dealId: '5b1f3c9e-2d4a-4e6b-8c7d-9e0f1a2b3c4d',
  userId: 'c0ffee00-1234-4abc-9def-0123456789ab',
  quantity: 2,
  unitPrice: 4900,
  idempotencyKey: 'purchase-1',
  acceptedAt: '2026-11-24T09:00:00.123Z',
}

/** The outbox entry the reservation script writes for `event`. */
const outboxEntry: Record<string, string> = {
  orderId: event.orderId,
  dealId: event.dealId,
  userId: event.userId,
  quantity: '2',
  unitPrice: '4900',
  idempotencyKey: 'purchase-1',
  acceptedAtMs: String(Date.parse(event.acceptedAt)),
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
}

const without = <T extends object>(value: T, field: keyof T) => {
  const copy = { ...value }
  delete copy[field]
  return copy
}

describe('decodeOrderAccepted (a Kafka record value)', () => {
  test('a valid v1 event decodes to itself, from a Buffer as from a string', () => {
    expect(decodeOrderAccepted(Buffer.from(JSON.stringify(event)))).toEqual({
      ok: true,
      value: event,
    })
    expect(decodeOrderAccepted(JSON.stringify(event))).toEqual({ ok: true, value: event })
  })

  test.each([
    [
      'an upper-case (not lower-case) uuid',
      { ...event, dealId: event.dealId.toUpperCase() },
      '/dealId',
    ],
    ['an invalid uuid', { ...event, userId: 'user-42' }, '/userId'],
    ['quantity 0', { ...event, quantity: 0 }, '/quantity'],
    ['a fractional quantity', { ...event, quantity: 1.5 }, '/quantity'],
    ['a missing field', without(event, 'orderId'), '/orderId'],
    ['another schema version', { ...event, version: 2 }, '/version'],
    [
      'an acceptedAt that is not UTC ISO 8601',
      { ...event, acceptedAt: '24/11/2026' },
      '/acceptedAt',
    ],
  ])('%s is refused with a reason naming the field', (_, candidate, field) => {
    const decoded = decodeOrderAccepted(JSON.stringify(candidate))
    expect(decoded.ok).toBe(false)
    if (!decoded.ok) expect(decoded.reason).toStartWith(`${field}: `)
  })

  test('a value that is not JSON, or no value at all, is refused and says so', () => {
    expect(decodeOrderAccepted('{"type":"OrderAccepted",')).toEqual({
      ok: false,
      reason: 'value is not JSON',
    })
    expect(decodeOrderAccepted(null)).toEqual({ ok: false, reason: 'empty record' })
  })

  test('a field it does not know is ignored (adding an optional field keeps v1)', () => {
    const decoded = decodeOrderAccepted(JSON.stringify({ ...event, channel: 'app' }))
    expect(decoded.ok).toBe(true)
  })
})

describe('orderAcceptedFromOutbox (a Redis stream entry)', () => {
  test('a valid entry becomes the event and its traceparent', () => {
    expect(orderAcceptedFromOutbox(outboxEntry)).toEqual({
      ok: true,
      value: { event, traceparent: outboxEntry.traceparent },
    })
  })

  test('an empty traceparent is no traceparent', () => {
    const decoded = orderAcceptedFromOutbox({ ...outboxEntry, traceparent: '' })
    expect(decoded.ok && decoded.value.traceparent).toBeUndefined()
  })

  test('reads the flat field list Redis returns', () => {
    const list = Object.entries(outboxEntry).flat()
    expect(orderAcceptedFromOutbox(fieldsToRecord(list))).toEqual(
      orderAcceptedFromOutbox(outboxEntry),
    )
  })

  test("reads reserve.lua's one-field record: its values in order, the key last", () => {
    const { orderId, dealId, userId, quantity, unitPrice, acceptedAtMs, traceparent } = outboxEntry
    const value = [orderId, dealId, userId, quantity, unitPrice, acceptedAtMs, traceparent]
    expect(outboxEntryFields(['order', [...value, 'purchase-1'].join(' ')])).toEqual(outboxEntry)
    // No trace context: an empty value between two spaces, read as no traceparent.
    const untraced = outboxEntryFields(['order', [...value.slice(0, 6), '', 'k'].join(' ')])
    expect(untraced).toEqual({ ...outboxEntry, traceparent: '', idempotencyKey: 'k' })
    expect(orderAcceptedFromOutbox(untraced)).toMatchObject({
      ok: true,
      value: { traceparent: undefined },
    })
  })

  test('a one-field record with too few values is refused naming the first one missing', () => {
    const decoded = orderAcceptedFromOutbox(outboxEntryFields(['order', 'a b c']))
    expect(decoded.ok).toBe(false)
    if (!decoded.ok) expect(decoded.reason).toStartWith('/orderId: ')
  })

  test('an entry of named fields (written before the one-field record) reads as it is', () => {
    const list = Object.entries(outboxEntry).flat()
    expect(outboxEntryFields(list)).toEqual(outboxEntry)
  })

  test.each([
    ['an invalid uuid', { ...outboxEntry, dealId: 'deal-7' }, '/dealId'],
    ['quantity 0', { ...outboxEntry, quantity: '0' }, '/quantity'],
    ['a quantity that is not a number', { ...outboxEntry, quantity: 'two' }, '/quantity'],
    ['a missing quantity', without(outboxEntry, 'quantity'), '/quantity'],
    ['a missing user', without(outboxEntry, 'userId'), '/userId'],
    ['a missing acceptedAtMs', without(outboxEntry, 'acceptedAtMs'), '/acceptedAt'],
    [
      'an idempotency key over 64 characters',
      { ...outboxEntry, idempotencyKey: 'k'.repeat(65) },
      '/idempotencyKey',
    ],
  ])('%s is refused with a reason naming the field', (_, fields, field) => {
    const decoded = orderAcceptedFromOutbox(fields)
    expect(decoded.ok).toBe(false)
    if (!decoded.ok) expect(decoded.reason).toStartWith(`${field}: `)
  })
})

test('an outbox entry with an empty number field is refused, not read as 0', () => {
  const decoded = orderAcceptedFromOutbox({ ...outboxEntry, unitPrice: '' })
  expect(decoded.ok).toBe(false)
  expect(decoded.ok || decoded.reason).toContain('/unitPrice')
})
