/**
 * Runs every flash-deal process with its output prefixed by name, waits until each answers
 * /health/ready, and prints the URLs. Ctrl-C (or SIGTERM) stops them all gracefully. Used by
 * `make dev` in the foreground and by `make test` in the background.
 *
 * Ports come from GATEWAY_PORT, AUTH_PORT, PRODUCT_PORT, ORDER_PORT (defaults 8080-8083) and
 * RELAY_PORT, CONSUMER_PORT (8084, 8085: the health endpoints of the two order workers);
 * everything else (DATABASE_URL, REDIS_URL, KAFKA_BROKERS, ORDER_MODE, ...) is passed through.
 * INTERNAL_AUTH_SECRET (the gateway's service-to-service key) gets a dev value when unset.
 *
 * `--only <name>` runs one of them exactly as the whole stack would (same working directory, so
 * the same `.env` and `.state/keys`; same ports and upstream URLs): each service's `bun run dev`.
 */
import type { Subprocess } from 'bun'

interface ProcessSpec {
  name: string
  entry: string
  /** A command to run instead of `bun <entry>` (the Go product service). */
  command?: string[]
  port?: number
  env?: Record<string, string>
  /** false: never restarted on file changes (it runs a child of its own that would outlive it). */
  watch?: false
}

const root = new URL('..', import.meta.url).pathname
const env = process.env
const ports = {
  gateway: Number(env.GATEWAY_PORT ?? 8080),
  auth: Number(env.AUTH_PORT ?? 8081),
  product: Number(env.PRODUCT_PORT ?? 8082),
  order: Number(env.ORDER_PORT ?? 8083),
  relay: Number(env.RELAY_PORT ?? 8084),
  consumer: Number(env.CONSUMER_PORT ?? 8085),
}
const local = (port: number) => `http://127.0.0.1:${port}`
const watch = process.argv.includes('--watch')
// The same dev value as .env.example; production sets its own (the services refuse to start
// without one).
const internalAuthSecret =
  env.INTERNAL_AUTH_SECRET ?? 'dev-internal-auth-secret-change-me-0123456789'
const readyTimeoutMs = Number(env.STACK_READY_TIMEOUT_MS ?? 60_000)

const specs: ProcessSpec[] = [
  { name: 'auth', entry: 'services/auth/src/main.ts', port: ports.auth },
  { name: 'product', entry: 'services/product/src/main.ts', port: ports.product },
  { name: 'order', entry: 'services/order/src/main.ts', port: ports.order },
  { name: 'relay', entry: 'services/order/src/relay/main.ts', port: ports.relay },
  { name: 'consumer', entry: 'services/order/src/consumer/main.ts', port: ports.consumer },
  {
    name: 'payment-sandbox',
    entry: 'services/payment-sandbox/src/main.ts',
    port: Number(env.PAYMENT_SANDBOX_PORT ?? 8086),
  },
  {
    name: 'gateway',
    entry: 'services/gateway/src/main.ts',
    port: ports.gateway,
    env: {
      AUTH_URL: local(ports.auth),
      PRODUCT_URL: local(ports.product),
      ORDER_URL: local(ports.order),
    },
  },
]

// GATEWAY_RUNTIME=workerd: the same gateway app as a Worker on workerd (the Cloudflare Workers
// runtime), which has no TCP sockets: it reaches Redis through the Upstash adapter only.
const edge = env.GATEWAY_RUNTIME === 'workerd'
if (edge) {
  const gateway = specs.find((spec) => spec.name === 'gateway')
  if (gateway) {
    gateway.entry = 'services/gateway/src/cli/workerd.ts'
    gateway.watch = false
    gateway.env = { ...gateway.env, REDIS_DRIVER: 'upstash' }
  }
}

// PRODUCT_IMPL=go: the Go product service (Strategy B) on the product port instead of the
// TypeScript one, built (or found in Go's build cache) before the stack starts.
if ((env.PRODUCT_IMPL ?? 'ts') === 'go') {
  const build = Bun.spawnSync(['bash', 'services/product/go/build.sh'], {
    cwd: root,
    stderr: 'inherit',
  })
  if (build.exitCode !== 0) throw new Error('stack: building the Go product service failed')
  const product = specs.find((spec) => spec.name === 'product')
  if (product) product.command = [build.stdout.toString().trim()]
} else if (env.PRODUCT_IMPL && env.PRODUCT_IMPL !== 'ts') {
  throw new Error(`stack: PRODUCT_IMPL must be ts or go (got ${env.PRODUCT_IMPL})`)
}

// REDIS_DRIVER=upstash without an Upstash endpoint: run the local Upstash emulator over the same
// Redis and point the gateway at it, so the HTTP adapter can be tried on a laptop.
if ((edge || env.REDIS_DRIVER === 'upstash') && !env.UPSTASH_REDIS_REST_URL) {
  const port = Number(env.UPSTASH_PORT ?? 8079)
  const token = 'local-upstash-token'
  specs.unshift({
    name: 'upstash',
    entry: 'services/gateway/src/cli/upstash-local.ts',
    port,
    env: { URS_TOKEN: token },
  })
  const gateway = specs.find((spec) => spec.name === 'gateway')
  if (gateway) {
    gateway.env = {
      ...gateway.env,
      UPSTASH_REDIS_REST_URL: local(port),
      UPSTASH_REDIS_REST_TOKEN: token,
    }
  }
}

const onlyIndex = process.argv.indexOf('--only')
const only = onlyIndex >= 0 ? process.argv[onlyIndex + 1] : undefined
if (onlyIndex >= 0) {
  const names = specs.map((spec) => spec.name)
  if (!only || !names.includes(only)) {
    console.error(`stack: --only takes one of ${names.join(', ')} (got ${only ?? 'nothing'})`)
    process.exit(2)
  }
  // The gateway's local Upstash emulator goes with it.
  specs.splice(
    0,
    specs.length,
    ...specs.filter((s) => s.name === only || (only === 'gateway' && s.name === 'upstash')),
  )
}

const colours = [36, 35, 33, 32, 34, 31]
const width = Math.max(...specs.map((spec) => spec.name.length))
const children: { spec: ProcessSpec; child: Subprocess }[] = []
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

function start(spec: ProcessSpec, index: number) {
  const colour = process.stdout.isTTY ? colours[index % colours.length] : undefined
  const label = spec.name.padEnd(width)
  const prefix = colour ? `\x1b[${colour}m${label} |\x1b[0m` : `${label} |`
  // This very Bun, not whichever `bun` the PATH finds (under `bun run` there may be none).
  const command = spec.command ?? [
    process.execPath,
    ...(watch && spec.watch !== false ? ['--watch'] : []),
    spec.entry,
  ]
  const child = Bun.spawn(command, {
    cwd: root,
    env: {
      ...env,
      // Every service that verifies tokens fetches the keys from this stack's auth service.
      JWKS_URL: `${local(ports.auth)}/.well-known/jwks.json`,
      INTERNAL_AUTH_SECRET: internalAuthSecret,
      ...(spec.port ? { PORT: String(spec.port) } : {}),
      ...spec.env,
    },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  void pipe(child.stdout, prefix, process.stdout)
  void pipe(child.stderr, prefix, process.stderr)
  void child.exited.then((code) => {
    if (stopping) return
    console.error(`stack: ${spec.name} exited with code ${code}; stopping the others`)
    void stop(1)
  })
  children.push({ spec, child })
}

async function waitReady(spec: ProcessSpec) {
  if (!spec.port) return
  const deadline = Date.now() + readyTimeoutMs
  let last = 'no answer yet'
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${local(spec.port)}/health/ready`, {
        signal: AbortSignal.timeout(3000),
      })
      if (response.ok) return
      last = `${response.status} ${await response.text()}`
    } catch (error) {
      last = (error as Error).message
    }
    await Bun.sleep(250)
  }
  throw new Error(
    `${spec.name} was not ready on port ${spec.port} after ${readyTimeoutMs} ms (${last})`,
  )
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
  await Promise.all(specs.map(waitReady))
} catch (error) {
  console.error(`stack: ${(error as Error).message}`)
  await stop(1)
}
if (only) {
  const port = specs.find((spec) => spec.name === only)?.port
  console.log(`\nflash-deal ${only} is up: ${local(port ?? 0)}/health/ready\nstack: ready\n`)
} else {
  console.log(
    [
      '',
      'flash-deal is up:',
      `  gateway   ${local(ports.gateway)}        (Swagger UI ${local(ports.gateway)}/swagger)`,
      `  auth      ${local(ports.auth)}/swagger`,
      `  product   ${local(ports.product)}/swagger`,
      `  order     ${local(ports.order)}/swagger`,
      `  relay     ${local(ports.relay)}/health/ready     (outbox → Kafka)`,
      `  consumer  ${local(ports.consumer)}/health/ready     (Kafka → Postgres)`,
      `  purchases ORDER_MODE=${env.ORDER_MODE ?? 'async'}, REDIS_DRIVER=${edge ? 'upstash' : (env.REDIS_DRIVER ?? 'ioredis')}${edge ? ', gateway on workerd' : ''}`,
      'stack: ready',
      '',
    ].join('\n'),
  )
}
