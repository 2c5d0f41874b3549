/**
 * A round of work every `intervalMs`, never two at once (a slow round skips the ticks it
 * overlaps): the loop of checkout's background jobs. `stop()` waits for the round under way.
 */
export class Periodic {
  private timer: ReturnType<typeof setInterval> | undefined
  private running: Promise<unknown> | undefined

  constructor(private readonly round: () => Promise<unknown>) {}

  start(intervalMs: number) {
    this.timer = setInterval(() => {
      if (this.running) return
      this.running = this.round().finally(() => {
        this.running = undefined
      })
    }, intervalMs)
  }

  async stop() {
    clearInterval(this.timer)
    await this.running
  }
}

/**
 * A background job of checkout: `round()` is one round of its work, which logs its own outcome
 * and failures (a round never throws into the loop); `start()` runs it every `intervalMs`.
 */
export abstract class PeriodicJob {
  private readonly loop = new Periodic(() => this.round())

  constructor(private readonly intervalMs: number) {}

  protected abstract round(): Promise<void>

  start(): this {
    this.loop.start(this.intervalMs)
    return this
  }

  stop() {
    return this.loop.stop()
  }
}
