/**
 * The readiness bed: a real process spawned from the repository root, its output kept for a
 * failing test's report, started once its readiness URL answers 200 (the same wait as
 * `scripts/stack.ts`, from `infra/processes.ts`).
 */
import type { Subprocess } from 'bun'
import { waitReady } from '../../../infra/processes'

export { waitReady }

export const repoRoot = new URL('../../../', import.meta.url).pathname

export class TestProcess {
  child?: Subprocess
  output: string[] = []

  /**
   * `keep`: how many chunks of output to keep (the last ones); `readyUrl`: what `start()` waits
   * for, unset to return at once.
   */
  constructor(
    readonly name: string,
    private readonly command: string[],
    private readonly options: {
      env?: Record<string, string | undefined>
      readyUrl?: string
      readyTimeoutMs?: number
      keep?: number
    } = {},
  ) {}

  async start() {
    const child = Bun.spawn(this.command, {
      cwd: repoRoot,
      env: this.options.env ?? process.env,
      stdout: 'pipe',
      stderr: 'pipe',
    })
    this.child = child
    for (const stream of [child.stdout, child.stderr]) void this.collect(stream)
    if (!this.options.readyUrl) return
    try {
      await waitReady(this.options.readyUrl, {
        timeoutMs: this.options.readyTimeoutMs ?? 30_000,
        intervalMs: 100,
        exited: () => child.exitCode !== null,
      })
    } catch (error) {
      throw new Error(`${this.name}: ${(error as Error).message}\n${this.log(3000)}`)
    }
  }

  private async collect(stream: ReadableStream<Uint8Array>) {
    const decoder = new TextDecoder()
    const reader = stream.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      this.output.push(decoder.decode(value, { stream: true }))
      if (this.output.length > (this.options.keep ?? 400)) this.output.shift()
    }
  }

  /** The last `chars` characters of its output. */
  log(chars = 4000) {
    return this.output.join('').slice(-chars)
  }

  /** SIGKILL: no drain, no goodbye — a crash. */
  async kill() {
    await this.stop('SIGKILL')
  }

  async stop(signal: 'SIGTERM' | 'SIGINT' | 'SIGKILL' = 'SIGTERM') {
    this.child?.kill(signal)
    await this.child?.exited
  }
}
