import { join } from 'node:path'
import { createLogger, createTelemetry, loadConfigOrExit, serve } from '@flash-deal/kit'
import { createApp } from './app'
import { PaymentSandboxConfig } from './config'
import { SandboxStore } from './store/store'
import { WebhookDispatcher } from './webhooks/dispatcher'

const config = loadConfigOrExit('payment-sandbox', PaymentSandboxConfig)
const logger = createLogger({ level: config.LOG_LEVEL, bindings: { service: 'payment-sandbox' } })
const telemetry = createTelemetry({ serviceName: 'payment-sandbox', logger })
const journal =
  config.PAYMENT_SANDBOX_STORE === 'file'
    ? join(config.FLASH_STATE_DIR, 'payment-sandbox', 'journal.jsonl')
    : undefined
const store = new SandboxStore({
  file: journal,
  logger,
  idempotencyTtlMs: config.PAYMENT_IDEMPOTENCY_TTL_SECONDS * 1000,
})
const dispatcher = new WebhookDispatcher({
  url: config.PAYMENT_WEBHOOK_URL,
  secret: config.PAYMENT_WEBHOOK_SECRET,
  store,
  logger,
  maxAttempts: config.PAYMENT_WEBHOOK_MAX_ATTEMPTS,
  retryBaseMs: config.PAYMENT_WEBHOOK_RETRY_BASE_MS,
  retryMaxMs: config.PAYMENT_WEBHOOK_RETRY_MAX_MS,
  timeoutMs: config.PAYMENT_WEBHOOK_TIMEOUT_MS,
  duplicates: config.PAYMENT_WEBHOOK_DUPLICATES,
})
logger.info('payment sandbox state', {
  store: journal ?? 'memory',
  intents: store.intents.size,
  webhookUrl: config.PAYMENT_WEBHOOK_URL ?? null,
})

const app = createApp({
  store,
  dispatcher,
  logger,
  telemetry,
  apiKey: config.PAYMENT_API_KEY,
  slowAnswerMs: config.PAYMENT_SLOW_ANSWER_MS,
  maxBodyBytes: config.MAX_BODY_BYTES,
})

serve(app, {
  config,
  logger,
  telemetry,
  close: [{ name: 'webhook deliveries', close: () => dispatcher.stop() }],
})
dispatcher.start()
