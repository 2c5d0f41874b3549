/** The sandbox as real processes for this folder's tests, stopped and cleaned after each test. */
import { afterEach, expect } from 'bun:test'
import { createHmac } from 'node:crypto'
import { rmSync } from 'node:fs'
import {
  type SandboxProcess,
  sandboxApiKey,
  sandboxWebhookSecret,
  startPaymentSandbox,
  webhookReceiver,
} from '@flash-deal/testing/payment-sandbox'

export const running: SandboxProcess[] = []
const receivers: ReturnType<typeof webhookReceiver>[] = []
/** Call at the top of a test file: every process and receiver a test started is stopped after it. */
export function stopEverythingAfterEach() {
  afterEach(async () => {
    for (const sandbox of running.splice(0)) {
      await sandbox.stop('SIGKILL')
      rmSync(sandbox.stateDir, { recursive: true, force: true })
    }
    for (const receiver of receivers.splice(0)) await receiver.stop()
  })
}

export async function sandbox(env: Record<string, string> = {}) {
  const started = await startPaymentSandbox({ PAYMENT_SANDBOX_STORE: 'memory', ...env })
  running.push(started)
  return started
}

export function receiver(answers: number[] = []) {
  const made = webhookReceiver(answers)
  receivers.push(made)
  return made
}

export const post = (base: string, path: string, body: unknown, key?: string) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${sandboxApiKey}`,
      'content-type': 'application/json',
      ...(key ? { 'idempotency-key': key } : {}),
    },
    body: JSON.stringify(body),
  })

export async function pay(base: string, orderId: string, paymentMethod = 'pm_card_visa') {
  const response = await post(base, '/v1/payment_intents', {
    amount: 990,
    currency: 'eur',
    metadata: { orderId },
    payment_method: paymentMethod,
    confirm: true,
  })
  return { status: response.status, body: (await response.json()) as { id: string } }
}

/** An independent check of Stripe's scheme: `t=<ts>,v1=HMAC-SHA256(secret, "<ts>.<body>")`. */
export function expectSignedByScheme(signature: string | null, body: string) {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature ?? '')
  expect(match).not.toBeNull()
  const [, t, v1] = match as RegExpExecArray
  expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(10)
  expect(v1).toBe(createHmac('sha256', sandboxWebhookSecret).update(`${t}.${body}`).digest('hex'))
}
