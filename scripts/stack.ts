/**
 * Runs every flash-deal process with its output prefixed by name, waits until each answers
 * /health/ready, and prints the URLs. Ctrl-C (or SIGTERM) stops them all gracefully. Used by
 * `make dev` in the foreground and by `make test` in the background.
 *
 * The processes, their entry files, ports and upstreams are those of `infra/processes.ts`: ports
 * from GATEWAY_PORT, AUTH_PORT, PRODUCT_PORT, ORDER_PORT (defaults 8080-8083), RELAY_PORT,
 * CONSUMER_PORT (8084, 8085: the health endpoints of the two order workers) and UPSTASH_PORT
 * (8079, the local Upstash emulator when the gateway needs one); everything else (DATABASE_URL, REDIS_URL, KAFKA_BROKERS, ORDER_MODE, ...) is passed through.
 * TOPOLOGY=cluster adds a second gateway, relay and consumer (GATEWAY_2_PORT 8090, RELAY_2_PORT
 * 8094, CONSUMER_2_PORT 8095).
 * INTERNAL_AUTH_SECRET (the gateway's service-to-service key) gets a dev value when unset.
 *
 * `--only <name>` runs one of them exactly as the whole stack would (same working directory, so
 * the same `.env` and `.state/keys`; same ports and upstream URLs): each service's `bun run dev`.
 */
import type { Subprocess } from 'bun'
import { type PlannedProcess, planStack } from '../infra/plan'
import { localUrl as local, type ProcessName, processes, waitReady } from '../infra/processes'

const root = new URL('..', import.meta.url).pathname
const env = process.env
const port = (name: ProcessName) => Number(env[processes[name].portVar] ?? processes[name].port)
const secondPort = (name: ProcessName) => {
  const second = processes[name].second
  return Number((second && env[second.portVar]) ?? second?.port)
}
const watch = process.argv.includes('--watch')
// The same dev value as .env.example; production sets its own (the services refuse to start
// without one).
const internalAuthSecret =
  env.INTERNAL_AUTH_SECRET ?? 'dev-internal-auth-secret-change-me-0123456789'
const readyTimeoutMs = Number(env.STACK_READY_TIMEOUT_MS ?? 60_000)

const productImpl = env.PRODUCT_IMPL ?? 'ts'
if (productImpl !== 'ts' && productImpl !== 'go') {
  throw new Error(`stack: PRODUCT_IMPL must be ts or go (got ${env.PRODUCT_IMPL})`)
}
// GATEWAY_RUNTIME=workerd: the same gateway app as a Worker on workerd (the Cloudflare Workers
// runtime), which has no TCP sockets: it reaches Redis through the Upstash adapter only.
// REDIS_DRIVER=upstash (or workerd) without an Upstash endpoint: the local Upstash emulator runs
// over the same Redis, so the HTTP adapter can be tried on a laptop.
const edge = env.GATEWAY_RUNTIME === 'workerd'
// TOPOLOGY=cluster: two gateways, relays and consumers on the Redis and Kafka clusters (the
// Makefile sets REDIS_CLUSTER_NODES and the three brokers' KAFKA_BROKERS).
const topology = env.TOPOLOGY ?? 'single'
if (topology !== 'single' && topology !== 'cluster') {
  throw new Error(`stack: TOPOLOGY must be single or cluster (got ${env.TOPOLOGY})`)
}
const specs = planStack({
  port,
  topology,
  secondPort,
  gatewayRuntime: edge ? 'workerd' : 'bun',
  productImpl,
  redisDriver: env.REDIS_DRIVER,
  upstashUrl: env.UPSTASH_REDIS_REST_URL,
})

// PRODUCT_IMPL=go: the Go product service (Strategy B) on the product port instead of the
// TypeScript one, built (or found in Go's build cache) before the stack starts.
const commands = new Map<ProcessName, string[]>()
for (const spec of specs) {
  if (!spec.build) continue
  const build = Bun.spawnSync(['bash', spec.build], { cwd: root, stderr: 'inherit' })
  if (build.exitCode !== 0) throw new Error(`stack: building ${spec.name} (${spec.build}) failed`)
  commands.set(spec.name, [build.stdout.toString().trim()])
}

const onlyIndex = process.argv.indexOf('--only')
const only = onlyIndex >= 0 ? process.argv[onlyIndex + 1] : undefined
if (onlyIndex >= 0) {
  const names: string[] = specs.map((spec) => spec.label)
  if (!only || !names.includes(only)) {
    console.error(`stack: --only takes one of ${names.join(', ')} (got ${only ?? 'nothing'})`)
    process.exit(2)
  }
  // The gateway's local Upstash emulator goes with it.
  specs.splice(
    0,
    specs.length,
    ...specs.filter((s) => s.label === only || (only === 'gateway' && s.name === 'upstash')),
  )
}

const colours = [36, 35, 33, 32, 34, 31]
const width = Math.max(...specs.map((spec) => spec.label.length))
const children: { spec: PlannedProcess; child: Subprocess }[] = []
let stopping = false

async function pipe(stream: ReadableStream<Uint8Array>, prefix: string, sink: NodeJS.WriteStream) {
  const decoder = new TextDecoder()
  let pending = ''
  const reader = stream.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    pending += decoder.decode(value, { stream: true })
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) sink.write(`${prefix} ${line}\n`)
  }
  if (pending) sink.write(`${prefix} ${pending}\n`)
}

function start(spec: PlannedProcess, index: number) {
  const colour = process.stdout.isTTY ? colours[index % colours.length] : undefined
  const label = spec.label.padEnd(width)
  const prefix = colour ? `\x1b[${colour}m${label} |\x1b[0m` : `${label} |`
  // This very Bun, not whichever `bun` the PATH finds (under `bun run` there may be none).
  const command = commands.get(spec.name) ?? [
    process.execPath,
    ...(watch && spec.watch ? ['--watch'] : []),
    spec.entry,
  ]
  const child = Bun.spawn(command, {
    cwd: root,
    env: {
      ...env,
      // Every service that verifies tokens fetches the keys from this stack's auth service.
      JWKS_URL: `${local(port('auth'))}/.well-known/jwks.json`,
      INTERNAL_AUTH_SECRET: internalAuthSecret,
      ...spec.env,
    },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  void pipe(child.stdout, prefix, process.stdout)
  void pipe(child.stderr, prefix, process.stderr)
  void child.exited.then((code) => {
    if (stopping) return
    console.error(`stack: ${spec.label} exited with code ${code}; stopping the others`)
    void stop(1)
  })
  children.push({ spec, child })
}

async function ready(spec: PlannedProcess) {
  try {
    await waitReady(spec.readyUrl, { timeoutMs: readyTimeoutMs, intervalMs: 250 })
  } catch (error) {
    throw new Error(`${spec.label} was not ready on port ${spec.port}: ${(error as Error).message}`)
  }
}

async function stop(code: number) {
  if (stopping) return
  stopping = true
  for (const { child } of children) child.kill('SIGTERM')
  const forced = setTimeout(() => {
    for (const { child } of children) child.kill('SIGKILL')
  }, 15_000)
  await Promise.all(children.map(({ child }) => child.exited))
  clearTimeout(forced)
  process.exit(code)
}

process.on('SIGINT', () => void stop(0))
process.on('SIGTERM', () => void stop(0))

specs.forEach(start)
try {
  await Promise.all(specs.map(ready))
} catch (error) {
  console.error(`stack: ${(error as Error).message}`)
  await stop(1)
}
if (only) {
  const readyUrl = specs.find((spec) => spec.label === only)?.readyUrl
  console.log(`\nflash-deal ${only} is up: ${readyUrl}\nstack: ready\n`)
} else {
  console.log(
    [
      '',
      'flash-deal is up:',
      `  gateway   ${local(port('gateway'))}        (Swagger UI ${local(port('gateway'))}/swagger)`,
      ...(topology === 'cluster'
        ? [`  gateway-2 ${local(secondPort('gateway'))}        (relay-2, consumer-2 beside them)`]
        : []),
      `  auth      ${local(port('auth'))}/swagger`,
      `  product   ${local(port('product'))}/swagger`,
      `  order     ${local(port('order'))}/swagger`,
      `  relay     ${local(port('relay'))}/health/ready     (outbox → Kafka)`,
      `  consumer  ${local(port('consumer'))}/health/ready     (Kafka → Postgres)`,
      `  purchases ORDER_MODE=${env.ORDER_MODE ?? 'async'}, REDIS_DRIVER=${edge ? 'upstash' : (env.REDIS_DRIVER ?? 'ioredis')}${edge ? ', gateway on workerd' : ''}, TOPOLOGY=${topology}`,
      'stack: ready',
      '',
    ].join('\n'),
  )
}
