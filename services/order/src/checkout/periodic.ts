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
