/**
 * The gateway on the real workerd runtime, for tests: `src/cli/workerd.ts` spawned on a free
 * port (it builds the bundle, writes the config and runs workerd), with a local Upstash
 * emulator over the test Redis in front of it.
 */

import { internalAuthSecret, repoRoot, TestProcess, testEnv } from '@flash-deal/testing'
import { createApp as createUpstashServer } from '@humanwhocodes/upstash-redis-server'
import type { Subprocess } from 'bun'
import { variants } from '../../../infra/processes'

export const upstashToken = 'workerd-test-token'

/** The Upstash REST protocol over the test Redis, on a free port. */
export function startUpstash() {
  return Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: createUpstashServer({ token: upstashToken, redisUrl: testEnv.redisUrl }).fetch,
  })
}

async function freePort(): Promise<number> {
  const probe = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() })
  const { port } = probe
  await probe.stop(true)
  if (port === undefined) throw new Error('no free port')
  return port
}

export interface WorkerdGateway {
  url: string
  output: string[]
  stop(): Promise<void>
}

const workerdCommand = ['bun', variants.gatewayOnWorkerd.entry]

const workerdEnv = (port: number, bindings: Record<string, string>) => ({
  PATH: process.env.PATH ?? '',
  FLASH_STATE_DIR: `${repoRoot}.state/workerd-tests`,
  LOG_LEVEL: 'warn',
  PORT: String(port),
  // The secret the Worker signs its upstream calls with (a secret binding on Cloudflare).
  INTERNAL_AUTH_SECRET: internalAuthSecret,
  ...bindings,
})

function spawnWorkerd(
  port: number,
  bindings: Record<string, string>,
): Subprocess<'ignore', 'pipe', 'pipe'> {
  return Bun.spawn(workerdCommand, {
    cwd: repoRoot,
    env: workerdEnv(port, bindings),
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
}

/** Runs the Worker with bindings it must refuse: its exit code and what it said. */
export async function workerdRefusal(bindings: Record<string, string>) {
  const child = spawnWorkerd(await freePort(), bindings)
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  const [code, out, err] = await Promise.all([
    child.exited,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ])
  clearTimeout(timer)
  return { code, output: out + err }
}

/** Starts the Worker with these bindings; resolves once /health/live answers. */
export async function startWorkerdGateway(
  bindings: Record<string, string>,
): Promise<WorkerdGateway> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const gateway = new TestProcess('workerd', workerdCommand, {
    env: workerdEnv(port, bindings),
    readyUrl: `${url}/health/live`,
    keep: Number.POSITIVE_INFINITY,
  })
  await gateway.start()
  return { url, output: gateway.output, stop: () => gateway.stop() }
}
