import { rmSync } from 'node:fs'
import {
  type SandboxProcess,
  sandboxApiKey,
  sandboxWebhookSecret,
  startPaymentSandbox,
  webhookReceiver,
} from '@flash-deal/testing/payment-sandbox'
import { SandboxPaymentProvider } from '../../src/payments/sandbox-provider'

/** The adapter as the order service would build it, against a sandbox at `baseUrl`. */
export const providerFor = (baseUrl: string, options: { apiKey?: string } = {}) =>
  new SandboxPaymentProvider({
    baseUrl,
    apiKey: options.apiKey ?? sandboxApiKey,
    timeoutMs: 500,
    webhookSecrets: sandboxWebhookSecret,
  })

export const orderId = () => crypto.randomUUID()

export const charge = (id: string, paymentMethod: string, attempt = 'attempt-1') => ({
  orderId: id,
  amount: 1980,
  currency: 'EUR',
  paymentMethod,
  attempt,
})

/**
 * A real sandbox process sending its webhooks to a receiver of this test, and the adapter
 * pointed at it. `eventsFor` reads (verifies) the deliveries that mention a reference.
 */
export async function sandboxWithWebhooks(env: Record<string, string> = {}) {
  const hook = webhookReceiver()
  const sandbox: SandboxProcess = await startPaymentSandbox({
    PAYMENT_SANDBOX_STORE: 'memory',
    PAYMENT_WEBHOOK_URL: hook.url,
    PAYMENT_WEBHOOK_RETRY_BASE_MS: '100',
    ...env,
  })
  const provider = providerFor(sandbox.url)
  return {
    hook,
    sandbox,
    provider,
    async eventsFor(reference: string, count: number) {
      const deadline = Date.now() + 5000
      for (;;) {
        const mine = hook.deliveries.filter((delivery) => delivery.body.includes(reference))
        if (mine.length >= count || Date.now() > deadline) {
          return mine.map((delivery) =>
            provider.readWebhook({ payload: delivery.body, signature: delivery.signature }),
          )
        }
        await Bun.sleep(20)
      }
    },
    async stop() {
      await sandbox.stop('SIGKILL')
      rmSync(sandbox.stateDir, { recursive: true, force: true })
      await hook.stop()
    },
  }
}
