/** OrderAccepted events for the order tests, as the relay produces them. */
import type { OrderAccepted } from '@flash-deal/contracts'
import { uniqueSuffix } from '@flash-deal/testing'
import { v7 as uuidv7 } from 'uuid'

/** An accepted order of `quantity` units at 4900, accepted now. */
export const accepted = (dealId: string, userId: string, quantity = 1): OrderAccepted => ({
  type: 'OrderAccepted',
  version: 1,
  orderId: uuidv7(),
  dealId,
  userId,
  quantity,
  unitPrice: 4900,
  idempotencyKey: `key-${uniqueSuffix()}`,
  acceptedAt: new Date().toISOString(),
})
