/**
 * Runs the gateway on workerd (the Cloudflare Workers runtime, from the `workerd` npm package):
 * builds and checks the Worker bundle, writes a workerd config serving it on HOST:PORT, and runs
 * workerd in the foreground until SIGTERM/SIGINT. `GATEWAY_RUNTIME=workerd make dev` and
 * `make test` start the gateway through this instead of src/main.ts.
 *
 * The Worker's bindings are this process's gateway variables (GatewayConfig's names), so the
 * same environment configures both runtimes. REDIS_DRIVER is upstash (UPSTASH_REDIS_REST_URL and
 * UPSTASH_REDIS_REST_TOKEN must be set: scripts/stack.ts starts the local emulator).
 */
import { mkdir } from 'node:fs/promises'
import { GatewayConfig } from '../config'
import { buildWorkerBundle } from '../edge/bundle'
import { COMPATIBILITY_DATE, workerdConfig } from '../edge/workerd-config'

const env = process.env
const port = Number(env.PORT ?? 8080)
const host = env.HOST ?? '127.0.0.1'
const stateDir = `${env.FLASH_STATE_DIR ?? `${new URL('../../../../.state/dev', import.meta.url).pathname}`}/workerd-${port}`

await mkdir(stateDir, { recursive: true })
const report = await buildWorkerBundle(stateDir)
if (report.problems.length > 0) {
  console.error(
    `the Worker bundle pulls in what workerd cannot run:\n  ${report.problems.join('\n  ')}`,
  )
  process.exit(1)
}

const bindings: Record<string, string> = { REDIS_DRIVER: 'upstash' }
for (const name of Object.keys(GatewayConfig.properties)) {
  const value = env[name]
  if (value !== undefined && value !== '') bindings[name] = value
}
bindings.PORT = String(port)

await Bun.write(
  `${stateDir}/gateway.capnp`,
  workerdConfig({
    bundle: 'worker.js',
    address: `${host}:${port}`,
    bindings,
    compatibilityDate: COMPATIBILITY_DATE,
  }),
)

const workerd = new URL('../../node_modules/.bin/workerd', import.meta.url).pathname
const child = Bun.spawn([workerd, 'serve', `${stateDir}/gateway.capnp`, '--verbose'], {
  stdout: 'inherit',
  stderr: 'inherit',
})
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => child.kill(signal))
process.exit(await child.exited)
