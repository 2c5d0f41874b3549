/**
 * argon2id is deliberately expensive (tens of milliseconds of CPU and 64 MiB each), so a burst
 * of logins or sign-ups can saturate the cores and push every request past the gateway's
 * timeout. The hashing slots bound that: at most `concurrency` hashes run at once, at most
 * `queueLimit` wait (each for at most `maxWaitMs`), and anything beyond is refused at once with
 * 503 and a Retry-After — an honest "come back shortly" instead of a 504 for everyone.
 */
import { ServiceUnavailableError } from '@flash-deal/kit'

export interface HashingLimits {
  concurrency: number
  queueLimit: number
  maxWaitMs: number
}

export class HashingSlots {
  private active = 0
  private readonly waiting: { start: () => void; timer: ReturnType<typeof setTimeout> }[] = []
  // A running estimate of one hash's duration, for Retry-After.
  private averageMs = 50

  constructor(private readonly limits: HashingLimits) {}

  /** Runs `work` in a slot; 503 when the queue is full or the wait would be too long. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire()
    const startedAt = performance.now()
    try {
      return await work()
    } finally {
      this.averageMs = this.averageMs * 0.9 + (performance.now() - startedAt) * 0.1
      this.release()
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.limits.concurrency) {
      this.active += 1
      return Promise.resolve()
    }
    if (this.waiting.length >= this.limits.queueLimit) return Promise.reject(this.busy())
    return new Promise((resolve, reject) => {
      const entry = {
        start: () => {
          clearTimeout(entry.timer)
          resolve()
        },
        timer: setTimeout(() => {
          const index = this.waiting.indexOf(entry)
          if (index >= 0) this.waiting.splice(index, 1)
          reject(this.busy())
        }, this.limits.maxWaitMs),
      }
      this.waiting.push(entry)
    })
  }

  private release() {
    const next = this.waiting.shift()
    // The slot passes straight to the next waiter; `active` stays the same.
    if (next) next.start()
    else this.active -= 1
  }

  private busy() {
    const drainMs = ((this.waiting.length + 1) * this.averageMs) / this.limits.concurrency
    return new ServiceUnavailableError(
      'Too many logins and sign-ups at once; try again shortly',
      Math.max(1, Math.ceil(drainMs / 1000)),
    )
  }
}
