import { recordingLogger } from '@flash-deal/testing'
import { createApp } from '../src/app'
import { SandboxStore } from '../src/store/store'
import { WebhookDispatcher } from '../src/webhooks/dispatcher'

export const apiKey = 'sk_test_unit_tests_0123456789'

/** The sandbox app in process, state in memory (or in `journal`), webhooks off unless `webhookUrl`. */
export function sandboxApp(
  options: { journal?: string; webhookUrl?: string; slowAnswerMs?: number } = {},
) {
  const logger = recordingLogger()
  const store = new SandboxStore({ file: options.journal, logger, idempotencyTtlMs: 86_400_000 })
  const dispatcher = new WebhookDispatcher({
    url: options.webhookUrl,
    secret: 'whsec_unit_tests_0123456789',
    store,
    logger,
    maxAttempts: 3,
    retryBaseMs: 10,
    retryMaxMs: 50,
    timeoutMs: 1000,
    duplicates: 0,
  })
  const app = createApp({
    store,
    dispatcher,
    logger,
    apiKey,
    slowAnswerMs: options.slowAnswerMs ?? 0,
  })
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const response = await app.handle(
      new Request(`http://localhost${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined
          ? {}
          : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      }),
    )
    const text = await response.text()
    // biome-ignore lint/suspicious/noExplicitAny: test answers are read field by field
    const json: any = text ? JSON.parse(text) : undefined
    return { status: response.status, headers: response.headers, body: json }
  }
  return { app, store, dispatcher, logger, call }
}
