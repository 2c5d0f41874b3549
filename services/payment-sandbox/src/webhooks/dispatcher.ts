import type { Logger } from '@flash-deal/kit'
import type { SandboxStore, StoredEvent } from '../store/store'
import { signatureHeader } from './signature'

export interface DispatcherOptions {
  /** Where events go; none: they are only recorded. */
  url?: string
  secret: string
  store: SandboxStore
  logger: Logger
  maxAttempts: number
  retryBaseMs: number
  retryMaxMs: number
  timeoutMs: number
  /** Extra copies of each event, sent after it was delivered. */
  duplicates: number
}

/**
 * Sends each event to the webhook URL, signed, until the receiver answers 2xx: a non-2xx, a
 * refused connection or a timeout is retried after base × 2^(attempt−1) (capped), up to
 * `maxAttempts` in all. Every attempt is signed anew with the same payload bytes. An event not
 * yet delivered when the process stops is sent again when it starts (the journal keeps it).
 */
export class WebhookDispatcher {
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()
  private readonly inFlight = new Set<Promise<void>>()
  private stopped = false

  constructor(private readonly options: DispatcherOptions) {}

  get enabled(): boolean {
    return this.options.url !== undefined
  }

  /** Resumes the deliveries a previous run left unfinished. */
  start(): this {
    const pending = [...this.options.store.events.values()].filter((event) => !event.done)
    if (pending.length > 0 && this.enabled) {
      this.options.logger.info('resuming webhook deliveries', { events: pending.length })
    }
    for (const event of pending) this.send(event)
    return this
  }

  send(event: StoredEvent): void {
    if (!this.enabled) return
    this.schedule(event, 1, 0, 0)
  }

  /** Cancels what is scheduled and waits for the deliveries in flight. */
  async stop(): Promise<void> {
    this.stopped = true
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    await Promise.allSettled([...this.inFlight])
  }

  private schedule(event: StoredEvent, attempt: number, copy: number, delayMs: number) {
    if (this.stopped) return
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      const delivery = this.deliver(event, attempt, copy).finally(() =>
        this.inFlight.delete(delivery),
      )
      this.inFlight.add(delivery)
    }, delayMs)
    this.timers.add(timer)
  }

  private async deliver(event: StoredEvent, attempt: number, copy: number) {
    const { url, secret, logger, maxAttempts } = this.options
    const fields = { eventId: event.id, type: event.type, attempt, ...(copy ? { copy } : {}) }
    const outcome = await this.post(String(url), event.payload, secret)
    if (outcome.ok) {
      logger.info('webhook delivered', { ...fields, status: outcome.status })
      if (copy === 0) {
        this.options.store.finishEvent(event.id, 'delivered')
        for (let extra = 1; extra <= this.options.duplicates; extra += 1) {
          this.schedule(event, 1, extra, 10 * extra)
        }
      }
      return
    }
    if (attempt >= maxAttempts) {
      logger.error('webhook given up', { ...fields, reason: outcome.reason })
      if (copy === 0) this.options.store.finishEvent(event.id, 'gave-up')
      return
    }
    const delayMs = Math.min(this.options.retryBaseMs * 2 ** (attempt - 1), this.options.retryMaxMs)
    logger.warn('webhook failed, retrying', {
      ...fields,
      reason: outcome.reason,
      retryInMs: delayMs,
    })
    this.schedule(event, attempt + 1, copy, delayMs)
  }

  private async post(
    url: string,
    payload: string,
    secret: string,
  ): Promise<{ ok: true; status: number } | { ok: false; reason: string }> {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'stripe-signature': signatureHeader(payload, secret, Math.floor(Date.now() / 1000)),
          'user-agent': 'flash-deal-payment-sandbox/1.0',
        },
        body: payload,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      })
      // The receiver's body is not read beyond this: only the status counts.
      await response.body?.cancel()
      return response.ok
        ? { ok: true, status: response.status }
        : { ok: false, reason: `answered ${response.status}` }
    } catch (error) {
      return { ok: false, reason: error instanceof Error ? error.message : String(error) }
    }
  }
}
