import { createHmac } from 'node:crypto'

/**
 * Stripe's webhook signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<payload>">`, keyed
 * with the endpoint's whole secret (`whsec_…`). Signed per attempt, so a retry carries a fresh
 * timestamp and a receiver's replay window never refuses a late but genuine delivery.
 */
export function signatureHeader(payload: string, secret: string, timestampSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestampSeconds}.${payload}`).digest('hex')
  return `t=${timestampSeconds},v1=${v1}`
}
