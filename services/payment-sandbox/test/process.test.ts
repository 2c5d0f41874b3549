/**
 * The sandbox as a real process: webhooks signed, retried after a receiver's 500, delivered in
 * duplicate on request, resumed after a restart; the late answer of pm_card_timeout; start-up
 * refusals and SIGTERM.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { rmSync } from 'node:fs'
import { repoRoot } from '@flash-deal/testing'
import {
  type SandboxProcess,
  sandboxApiKey,
  sandboxWebhookSecret,
  startPaymentSandbox,
  webhookReceiver,
} from '@flash-deal/testing/payment-sandbox'

const running: SandboxProcess[] = []
const receivers: ReturnType<typeof webhookReceiver>[] = []
afterEach(async () => {
  for (const sandbox of running.splice(0)) {
    await sandbox.stop('SIGKILL')
    rmSync(sandbox.stateDir, { recursive: true, force: true })
  }
  for (const receiver of receivers.splice(0)) await receiver.stop()
})

async function sandbox(env: Record<string, string> = {}) {
  const started = await startPaymentSandbox({ PAYMENT_SANDBOX_STORE: 'memory', ...env })
  running.push(started)
  return started
}

function receiver(answers: number[] = []) {
  const made = webhookReceiver(answers)
  receivers.push(made)
  return made
}

const post = (base: string, path: string, body: unknown, key?: string) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${sandboxApiKey}`,
      'content-type': 'application/json',
      ...(key ? { 'idempotency-key': key } : {}),
    },
    body: JSON.stringify(body),
  })

async function pay(base: string, orderId: string, paymentMethod = 'pm_card_visa') {
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
function expectSignedByScheme(signature: string | null, body: string) {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature ?? '')
  expect(match).not.toBeNull()
  const [, t, v1] = match as RegExpExecArray
  expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(10)
  expect(v1).toBe(createHmac('sha256', sandboxWebhookSecret).update(`${t}.${body}`).digest('hex'))
}

describe('payment sandbox webhooks (real process)', () => {
  test('a confirmation is sent to the webhook URL, signed with the shared secret', async () => {
    const hook = receiver()
    const { url } = await sandbox({ PAYMENT_WEBHOOK_URL: hook.url })
    const paid = await pay(url, 'order-signed')
    expect(paid.status).toBe(200)
    const [delivery] = await hook.waitFor(1)
    expectSignedByScheme(delivery?.signature ?? null, delivery?.body ?? '')
    const [{ event } = { event: undefined }] = hook.events('payment_intent.succeeded')
    expect(event?.data.object).toMatchObject({
      id: paid.body.id,
      status: 'succeeded',
      metadata: { orderId: 'order-signed' },
    })
    expect(event?.id).toMatch(/^evt_/)
    // The same event is readable from the API (what a receiver that missed it catches up from).
    const read = await fetch(`${url}/v1/events/${event?.id}`, {
      headers: { authorization: `Bearer ${sandboxApiKey}` },
    })
    expect(await read.text()).toBe(delivery?.body ?? '')
  })

  test('a receiver answering 500 gets the same event again, freshly signed, until it takes it', async () => {
    const hook = receiver([500, 503])
    const sandboxProcess = await sandbox({
      PAYMENT_WEBHOOK_URL: hook.url,
      PAYMENT_WEBHOOK_RETRY_BASE_MS: '200',
    })
    await pay(sandboxProcess.url, 'order-retried')
    const deliveries = await hook.waitFor(3)
    await Bun.sleep(300)
    expect(deliveries.map((delivery) => delivery.answered)).toEqual([500, 503, 200])
    expect(new Set(deliveries.map((delivery) => delivery.body)).size).toBe(1)
    for (const delivery of deliveries) expectSignedByScheme(delivery.signature, delivery.body)
    // Backoff: 200 ms, then 400 ms.
    const [first, second, third] = deliveries.map((delivery) => delivery.receivedAt)
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(180)
    expect((third ?? 0) - (second ?? 0)).toBeGreaterThanOrEqual(380)
    expect(sandboxProcess.logs('webhook failed, retrying').map((line) => line.reason)).toEqual([
      'answered 500',
      'answered 503',
    ])
  })

  test('an unreachable receiver is retried, then given up after the last attempt', async () => {
    const sandboxProcess = await sandbox({
      PAYMENT_WEBHOOK_URL: 'http://127.0.0.1:1/webhooks',
      PAYMENT_WEBHOOK_RETRY_BASE_MS: '20',
      PAYMENT_WEBHOOK_MAX_ATTEMPTS: '3',
    })
    await pay(sandboxProcess.url, 'order-unreachable')
    const deadline = Date.now() + 5000
    while (sandboxProcess.logs('webhook given up').length === 0 && Date.now() < deadline)
      await Bun.sleep(20)
    expect(sandboxProcess.logs('webhook failed, retrying')).toHaveLength(2)
    expect(sandboxProcess.logs('webhook given up')).toHaveLength(1)
  })

  test('PAYMENT_WEBHOOK_DUPLICATES sends every event that many extra times, same id', async () => {
    const hook = receiver()
    const { url } = await sandbox({
      PAYMENT_WEBHOOK_URL: hook.url,
      PAYMENT_WEBHOOK_DUPLICATES: '2',
    })
    await pay(url, 'order-duplicated')
    const deliveries = await hook.waitFor(3)
    await Bun.sleep(200)
    expect(deliveries).toHaveLength(3)
    const ids = hook.events().map(({ event }) => event.id)
    expect(new Set(ids).size).toBe(1)
    for (const delivery of deliveries) expectSignedByScheme(delivery.signature, delivery.body)
  })

  test('a decline is sent as payment_intent.payment_failed, a refund as refund.created', async () => {
    const hook = receiver()
    const { url } = await sandbox({ PAYMENT_WEBHOOK_URL: hook.url })
    const declined = await pay(url, 'order-declined', 'pm_card_chargeDeclined')
    expect(declined.status).toBe(402)
    const paid = await pay(url, 'order-refunded')
    expect((await post(url, '/v1/refunds', { payment_intent: paid.body.id })).status).toBe(200)
    await hook.waitFor(3)
    expect(
      hook
        .events()
        .map(({ event }) => event.type)
        .sort(),
    ).toEqual(['payment_intent.payment_failed', 'payment_intent.succeeded', 'refund.created'])
  })

  test('pm_card_timeout: charged and announced at once, the answer comes after PAYMENT_SLOW_ANSWER_MS', async () => {
    const hook = receiver()
    const { url } = await sandbox({ PAYMENT_WEBHOOK_URL: hook.url, PAYMENT_SLOW_ANSWER_MS: '1500' })
    const started = Date.now()
    const answer = await pay(url, 'order-timeout', 'pm_card_timeout')
    expect(answer.status).toBe(200)
    const answeredAfter = Date.now() - started
    expect(answeredAfter).toBeGreaterThanOrEqual(1400)
    // The webhook arrived long before the answer did.
    const [delivery] = await hook.waitFor(1)
    expect((delivery?.receivedAt ?? Number.POSITIVE_INFINITY) - started).toBeLessThan(1000)
    const client = await post(url, '/v1/payment_intents', { amount: 5, currency: 'eur' })
    const { id } = (await client.json()) as { id: string }
    const aborted = await fetch(`${url}/v1/payment_intents/${id}/confirm`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sandboxApiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ payment_method: 'pm_card_timeout' }),
      signal: AbortSignal.timeout(300),
    }).then(
      () => 'answered',
      (error: Error) => error.name,
    )
    expect(aborted).toBe('TimeoutError')
    const read = await fetch(`${url}/v1/payment_intents/${id}`, {
      headers: { authorization: `Bearer ${sandboxApiKey}` },
    })
    expect(((await read.json()) as { status: string }).status).toBe('succeeded')
  })
})

describe('payment sandbox lifecycle (real process)', () => {
  test('killed and restarted: intents and keys survive, undelivered events are sent after the restart', async () => {
    const hook = receiver()
    const sandboxProcess = await startPaymentSandbox({
      PAYMENT_SANDBOX_STORE: 'file',
      // The receiver is not there yet: the first run never delivers.
      PAYMENT_WEBHOOK_URL: 'http://127.0.0.1:1/webhooks',
      PAYMENT_WEBHOOK_RETRY_BASE_MS: '60000',
    })
    running.push(sandboxProcess)
    const key = 'order-durable-payment'
    const first = await post(
      sandboxProcess.url,
      '/v1/payment_intents',
      { amount: 990, currency: 'eur', payment_method: 'pm_card_visa', confirm: true },
      key,
    )
    const intent = (await first.json()) as { id: string }
    expect(await sandboxProcess.stop('SIGKILL')).not.toBe(0)

    // The same journal (cleaned up with the restarted process).
    running.pop()
    const restarted = await startPaymentSandboxAt(sandboxProcess, hook.url)
    running.push(restarted)
    const again = await post(
      restarted.url,
      '/v1/payment_intents',
      { amount: 990, currency: 'eur', payment_method: 'pm_card_visa', confirm: true },
      key,
    )
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(((await again.json()) as { id: string }).id).toBe(intent.id)
    await hook.waitFor(1)
    expect(hook.events('payment_intent.succeeded')[0]?.event.data.object.id).toBe(intent.id)
  })

  test('SIGTERM exits 0; a malformed variable stops the start naming it', async () => {
    const sandboxProcess = await sandbox()
    expect(await sandboxProcess.stop('SIGTERM')).toBe(0)
    expect(sandboxProcess.logs('shutdown complete')).toHaveLength(1)
    for (const [name, value] of [
      ['PORT', 'not-a-port'],
      ['PAYMENT_WEBHOOK_URL', 'ftp://example'],
      ['PAYMENT_WEBHOOK_SECRET', 'short'],
    ] as const) {
      const child = Bun.spawn(['bun', 'services/payment-sandbox/src/main.ts'], {
        cwd: repoRoot,
        env: { PATH: process.env.PATH ?? '', [name]: value },
        stdout: 'pipe',
        stderr: 'pipe',
      })
      expect(await child.exited).toBe(1)
      expect(await new Response(child.stderr).text()).toContain(
        `invalid environment variable ${name}`,
      )
    }
  })
})

/** The same journal and port as `previous`, now with a webhook URL that answers. */
async function startPaymentSandboxAt(previous: SandboxProcess, webhookUrl: string) {
  return startPaymentSandbox({
    PAYMENT_SANDBOX_STORE: 'file',
    FLASH_STATE_DIR: previous.stateDir,
    PAYMENT_WEBHOOK_URL: webhookUrl,
  })
}
