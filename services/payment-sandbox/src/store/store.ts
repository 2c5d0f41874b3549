import type { Logger } from '@flash-deal/kit'
import type { PaymentIntent } from '../intents/model'
import type { Refund } from '../refunds/model'
import { FileJournal } from './journal'

/** `unsent`: there was no webhook URL when it happened; it is never sent later. */
export type EventOutcome = 'delivered' | 'gave-up' | 'unsent'

/** An event as recorded: its exact payload (the signed bytes) and whether it went out. */
export interface StoredEvent {
  id: string
  type: string
  created: number
  payload: string
  /** Set once delivered (a 2xx) or given up on; otherwise it is sent again after a restart. */
  done?: EventOutcome
}

/** A problem saved under an idempotency key, thrown again on replay. */
export interface SavedProblem {
  status: number
  code: string
  title: string
  detail: string
  extensions: Record<string, unknown>
}

export interface IdempotencyRecord {
  /** Method, path and canonical body of the first request. */
  fingerprint: string
  savedAt: number
  status: number
  body?: unknown
  problem?: SavedProblem
  /** The answer is always late (a `pm_card_timeout` confirmation), replays included. */
  slow?: boolean
}

type Entry =
  | { kind: 'intent'; value: PaymentIntent }
  | { kind: 'refund'; value: Refund }
  | { kind: 'event'; value: StoredEvent }
  | { kind: 'event-done'; id: string; done: EventOutcome }
  | { kind: 'idempotency'; key: string; value: IdempotencyRecord }

export interface StoreOptions {
  /** The journal; none keeps everything in memory only (lost on exit). */
  file?: string
  logger: Logger
  idempotencyTtlMs: number
  now?: () => number
}

/** Every object the sandbox keeps, in memory, with each change journaled when a file is given. */
export class SandboxStore {
  readonly intents = new Map<string, PaymentIntent>()
  readonly refunds = new Map<string, Refund>()
  readonly events = new Map<string, StoredEvent>()
  private readonly idempotency = new Map<string, IdempotencyRecord>()
  private readonly journal?: FileJournal<Entry>
  private readonly ttlMs: number
  /** The store's clock (idempotency records are stamped and expired by it). */
  readonly now: () => number

  constructor(options: StoreOptions) {
    this.ttlMs = options.idempotencyTtlMs
    this.now = options.now ?? Date.now
    if (!options.file) return
    this.journal = new FileJournal<Entry>(options.file, options.logger)
    for (const entry of this.journal.replay()) this.apply(entry)
    this.journal.rewrite(this.snapshot())
  }

  saveIntent(intent: PaymentIntent) {
    this.record({ kind: 'intent', value: intent })
  }

  saveRefund(refund: Refund) {
    this.record({ kind: 'refund', value: refund })
  }

  saveEvent(event: StoredEvent) {
    this.record({ kind: 'event', value: event })
  }

  finishEvent(id: string, done: EventOutcome) {
    if (this.events.get(id)?.done) return
    this.record({ kind: 'event-done', id, done })
  }

  idempotencyRecord(key: string): IdempotencyRecord | undefined {
    const record = this.idempotency.get(key)
    if (record && this.now() - record.savedAt > this.ttlMs) {
      this.idempotency.delete(key)
      return undefined
    }
    return record
  }

  saveIdempotencyRecord(key: string, value: IdempotencyRecord) {
    this.record({ kind: 'idempotency', key, value })
  }

  private record(entry: Entry) {
    this.journal?.append(entry)
    this.apply(entry)
  }

  private apply(entry: Entry) {
    switch (entry.kind) {
      case 'intent':
        this.intents.set(entry.value.id, entry.value)
        break
      case 'refund':
        this.refunds.set(entry.value.id, entry.value)
        break
      case 'event':
        this.events.set(entry.value.id, entry.value)
        break
      case 'event-done': {
        const event = this.events.get(entry.id)
        if (event) this.events.set(entry.id, { ...event, done: entry.done })
        break
      }
      case 'idempotency':
        this.idempotency.set(entry.key, entry.value)
        break
    }
  }

  /** The current state as journal entries; expired idempotency records are dropped. */
  private snapshot(): Entry[] {
    const now = this.now()
    return [
      ...[...this.intents.values()].map((value) => ({ kind: 'intent' as const, value })),
      ...[...this.refunds.values()].map((value) => ({ kind: 'refund' as const, value })),
      ...[...this.events.values()].map((value) => ({ kind: 'event' as const, value })),
      ...[...this.idempotency.entries()]
        .filter(([, value]) => now - value.savedAt <= this.ttlMs)
        .map(([key, value]) => ({ kind: 'idempotency' as const, key, value })),
    ]
  }
}
