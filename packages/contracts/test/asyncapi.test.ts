import { describe, expect, test } from 'bun:test'
import { orderEventsDocument } from '../src/asyncapi'
import { OrderAcceptedV1 } from '../src/order-accepted'
import { OrderReleasedV1 } from '../src/order-released'
import { ORDERS_ACCEPTED, ORDERS_DLQ, ORDERS_RELEASED } from '../src/topics'

const document = orderEventsDocument()

/** Every `$ref` in the document, with where it sits. */
function refs(node: unknown, at = '#'): { at: string; ref: string }[] {
  if (typeof node !== 'object' || node === null) return []
  return Object.entries(node).flatMap(([key, value]) =>
    key === '$ref' && typeof value === 'string'
      ? [{ at, ref: value }]
      : refs(value, `${at}/${key}`),
  )
}

function resolve(ref: string): unknown {
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>(
      (node, key) =>
        typeof node === 'object' && node !== null
          ? (node as Record<string, unknown>)[key]
          : undefined,
      document,
    )
}

describe('order events AsyncAPI document', () => {
  test('every $ref points at something in the document', () => {
    const dangling = refs(document).filter(({ ref }) => resolve(ref) === undefined)
    expect(dangling).toEqual([])
  })

  test('the channels are the topics producer and consumer use', () => {
    expect(document.channels.ordersAccepted.address).toBe(ORDERS_ACCEPTED)
    expect(document.channels.ordersDlq.address).toBe(ORDERS_DLQ)
    expect(document.channels.ordersReleased.address).toBe(ORDERS_RELEASED)
  })

  test('the payload is the TypeBox schema, as plain JSON Schema', () => {
    const payload = document.components.schemas.OrderAcceptedV1
    expect(Object.getOwnPropertySymbols(payload)).toEqual([])
    expect(payload).not.toHaveProperty('$id')
    expect(payload.required).toEqual(OrderAcceptedV1.required)
    expect(Object.keys(payload.properties as object)).toEqual(
      Object.keys(OrderAcceptedV1.properties),
    )
  })

  test('OrderReleased v1 is documented from its TypeBox schema too', () => {
    const payload = document.components.schemas.OrderReleasedV1
    expect(payload.required).toEqual(OrderReleasedV1.required)
    expect(Object.keys(payload.properties as object)).toEqual(
      Object.keys(OrderReleasedV1.properties),
    )
  })
})
