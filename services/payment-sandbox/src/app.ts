import { createServiceApp, type Logger, type Telemetry } from '@flash-deal/kit'
import { apiKeyAuth, secretKeyScheme } from './api-key'
import { jsonBodies } from './http'
import { IdempotencyLedger } from './idempotency/ledger'
import { paymentIntentsController } from './intents/controller'
import { PaymentIntentService } from './intents/service'
import { refundsController } from './refunds/controller'
import { RefundService } from './refunds/service'
import type { SandboxStore } from './store/store'
import { eventsController } from './webhooks/controller'
import type { WebhookDispatcher } from './webhooks/dispatcher'
import { EventLog } from './webhooks/events'

export interface PaymentSandboxDeps {
  store: SandboxStore
  dispatcher: WebhookDispatcher
  logger: Logger
  apiKey: string
  /** How late a `pm_card_timeout` confirmation answers. */
  slowAnswerMs: number
  maxBodyBytes?: number
  telemetry?: Telemetry
}

/** The sandbox provider's HTTP surface (Stripe's resource shapes); it never listens itself. */
export function createApp(deps: PaymentSandboxDeps) {
  const ledger = new IdempotencyLedger(deps.store)
  const events = new EventLog(deps.store, deps.dispatcher)
  const intents = new PaymentIntentService({ store: deps.store, ledger, events })
  const refunds = new RefundService({ store: deps.store, ledger, events })
  return createServiceApp({
    name: 'payment-sandbox',
    version: '1.0.0',
    description:
      'A local card processor with the protocol shape of Stripe: payment intents, test payment methods, refunds, idempotency keys and signed webhooks (Stripe-Signature). Not a real provider: no money moves.',
    logger: deps.logger,
    maxBodyBytes: deps.maxBodyBytes,
    telemetry: deps.telemetry,
    // In memory, ready as soon as it listens; the journal was read before that.
    readiness: {},
    extendDocument: (document) => ({
      ...document,
      components: {
        ...(document.components as Record<string, unknown>),
        securitySchemes: {
          ...((document.components as { securitySchemes?: object } | undefined)?.securitySchemes ??
            {}),
          secretKey: secretKeyScheme,
        },
      },
    }),
  })
    .use(apiKeyAuth(deps.apiKey))
    .use(jsonBodies)
    .use(paymentIntentsController(intents, deps.slowAnswerMs))
    .use(refundsController(refunds))
    .use(eventsController(events))
}
