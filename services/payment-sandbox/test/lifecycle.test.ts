/** The sandbox process killed and restarted on its journal, SIGTERM, and start-up refusals. */
import { describe, expect, test } from 'bun:test'
import { repoRoot } from '@flash-deal/testing'
import { type SandboxProcess, startPaymentSandbox } from '@flash-deal/testing/payment-sandbox'
import { post, receiver, running, sandbox, stopEverythingAfterEach } from './process-support'

stopEverythingAfterEach()

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

  test('events from a run without a webhook URL are kept, and not sent once a URL is set', async () => {
    const quiet = await startPaymentSandbox({ PAYMENT_SANDBOX_STORE: 'file' })
    running.push(quiet)
    const paid = await post(quiet.url, '/v1/payment_intents', {
      amount: 990,
      currency: 'eur',
      payment_method: 'pm_card_visa',
      confirm: true,
    })
    expect(paid.status).toBe(200)
    await quiet.stop('SIGTERM')
    running.pop()
    const hook = receiver()
    const loud = await startPaymentSandboxAt(quiet, hook.url)
    running.push(loud)
    const fresh = await post(loud.url, '/v1/payment_intents', {
      amount: 5,
      currency: 'eur',
      payment_method: 'pm_card_visa',
      confirm: true,
    })
    const { id } = (await fresh.json()) as { id: string }
    await hook.waitFor(1)
    await Bun.sleep(200)
    // Only the new run's event: the earlier one stays readable at /v1/events, unsent.
    expect(hook.events().map(({ event }) => event.data.object.id)).toEqual([id])
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
      const child = Bun.spawn([process.execPath, 'services/payment-sandbox/src/main.ts'], {
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
