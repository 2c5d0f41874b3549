/**
 * The payment sandbox as a real process for tests (`services/payment-sandbox/src/main.ts` on a
 * free port, its journal under `.state/payment-sandbox-tests/`), and a webhook receiver that
 * records every delivery byte for byte and answers the statuses a test scripts.
 */
import { mkdirSync, rmSync } from 'node:fs'
import type { Subprocess } from 'bun'

const root = new URL('../../../', import.meta.url).pathname

export const sandboxApiKey = 'sk_test_payment_sandbox_tests_0123456789'
export const sandboxWebhookSecret = 'whsec_payment_sandbox_tests_0123456789'

export async function freePort(): Promise<number> {
  const probe = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() })
  const { port } = probe
  await probe.stop(true)
  if (port === undefined) throw new Error('no free port')
  return port
}

export interface SandboxProcess {
  url: string
  port: number
  /** Everything it printed so far (JSON log lines). */
  output: string[]
  /** Its journal directory (FLASH_STATE_DIR), kept across `restart`. */
  stateDir: string
  /** SIGTERM (or the given signal), and wait for the exit code. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<number>
  /** Starts it again on the same port and state (after `stop`). */
  restart(): Promise<void>
  /** Log lines (parsed) whose `msg` is this. */
  logs(msg: string): Record<string, unknown>[]
}

/** Starts the sandbox with these settings on top of the test key and secret; ready when it answers. */
export async function startPaymentSandbox(
  env: Record<string, string> = {},
): Promise<SandboxProcess> {
  const port = await freePort()
  // A state directory of its own, unless the test hands over an earlier run's (a restart).
  const stateDir =
    env.FLASH_STATE_DIR ?? `${root}.state/payment-sandbox-tests/${port}-${Date.now().toString(36)}`
  if (!env.FLASH_STATE_DIR) rmSync(stateDir, { recursive: true, force: true })
  mkdirSync(stateDir, { recursive: true })
  const output: string[] = []
  let child: Subprocess<'ignore', 'pipe', 'pipe'>
  const spawn = async () => {
    child = Bun.spawn([process.execPath, 'services/payment-sandbox/src/main.ts'], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        LOG_LEVEL: 'info',
        PAYMENT_API_KEY: sandboxApiKey,
        PAYMENT_WEBHOOK_SECRET: sandboxWebhookSecret,
        ...env,
        FLASH_STATE_DIR: stateDir,
      },
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
    })
    for (const stream of [child.stdout, child.stderr]) void collect(stream, output)
    const deadline = Date.now() + 20_000
    for (;;) {
      if (child.exitCode !== null) throw new Error(`payment sandbox exited:\n${output.join('')}`)
      const up = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
        (r) => r.ok,
        () => false,
      )
      if (up) return
      if (Date.now() > deadline) throw new Error(`payment sandbox not up:\n${output.join('')}`)
      await Bun.sleep(50)
    }
  }
  await spawn()
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    output,
    stateDir,
    async stop(signal = 'SIGTERM') {
      child.kill(signal)
      return child.exited
    },
    restart: spawn,
    logs: (msg) =>
      output
        .join('')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.msg === msg),
  }
}

async function collect(stream: ReadableStream<Uint8Array>, into: string[]) {
  const decoder = new TextDecoder()
  const reader = stream.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return
    into.push(decoder.decode(value, { stream: true }))
  }
}

export interface WebhookDelivery {
  /** The raw body, exactly as sent (what a signature covers). */
  body: string
  signature: string | null
  receivedAt: number
  /** The status this receiver answered. */
  answered: number
}

/**
 * A webhook endpoint: `answers` are the statuses of the first deliveries, in order (then 200).
 * `waitFor(n)` resolves once n deliveries have arrived.
 */
export function webhookReceiver(answers: number[] = []) {
  const deliveries: WebhookDelivery[] = []
  const scripted = [...answers]
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(request) {
      const answered = scripted.shift() ?? 200
      deliveries.push({
        body: await request.text(),
        signature: request.headers.get('stripe-signature'),
        receivedAt: Date.now(),
        answered,
      })
      return new Response(null, { status: answered })
    },
  })
  return {
    url: `http://127.0.0.1:${server.port}/webhooks/payments`,
    deliveries,
    /** The deliveries of one event type, parsed. */
    events: (type?: string) =>
      deliveries
        .map((delivery) => ({ ...delivery, event: JSON.parse(delivery.body) as StripeEventLike }))
        .filter((delivery) => type === undefined || delivery.event.type === type),
    async waitFor(count: number, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      while (deliveries.length < count) {
        if (Date.now() > deadline) {
          throw new Error(`expected ${count} webhook deliveries, got ${deliveries.length}`)
        }
        await Bun.sleep(20)
      }
      return deliveries
    },
    stop: () => server.stop(true),
  }
}

export interface StripeEventLike {
  id: string
  type: string
  created: number
  data: { object: Record<string, unknown> & { id: string; status?: string } }
  request: { id: string; idempotency_key: string | null }
}
