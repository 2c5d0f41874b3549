/**
 * The processes of flash-deal, written once: the file each one runs, the port `make dev` gives
 * it and the variable that moves it, the other processes it is pointed at, where it answers
 * ready, and when it runs at all. Read by `scripts/stack.ts` (`make dev`, `make test`'s stacks,
 * each service's `bun run dev`), the system-test harness (`tests/system/src/harness.ts`), the
 * newcomer test and the benches (`scripts/bench/*.sh`, through `bun infra/processes.ts shell`).
 * A moved entry file is a one-line change here.
 */

export type ProcessName =
  | 'upstash'
  | 'auth'
  | 'product'
  | 'order'
  | 'relay'
  | 'consumer'
  | 'payment-sandbox'
  | 'gateway'

export interface ProcessInfo {
  /** The Bun entry file, from the repository root. */
  entry: string
  /** The port under `make dev`, and the variable that moves it (`make test` exports them all). */
  port: number
  portVar: string
  /** Its `bun run <script>` in its folder (`scripts/stack.ts --only <name>`); the emulator has none. */
  dev?: { folder: string; script: string }
  /** The upstreams it is pointed at: variable → the process whose URL it gets. */
  upstreams?: Record<string, ProcessName>
  /** When it runs; unset: always, in both purchase modes and every runtime. */
  only?: string
}

export const processes: Record<ProcessName, ProcessInfo> = {
  upstash: {
    entry: 'services/gateway/src/cli/upstash-local.ts',
    port: 8079,
    portVar: 'UPSTASH_PORT',
    only: 'the gateway uses the Upstash adapter (REDIS_DRIVER=upstash, or on workerd) and no UPSTASH_REDIS_REST_URL is given: the local emulator over the same Redis',
  },
  auth: {
    entry: 'services/auth/src/main.ts',
    port: 8081,
    portVar: 'AUTH_PORT',
    dev: { folder: 'services/auth', script: 'dev' },
  },
  product: {
    entry: 'services/product/src/main.ts',
    port: 8082,
    portVar: 'PRODUCT_PORT',
    dev: { folder: 'services/product', script: 'dev' },
  },
  order: {
    entry: 'services/order/src/main.ts',
    port: 8083,
    portVar: 'ORDER_PORT',
    dev: { folder: 'services/order', script: 'dev' },
    // Checkout charges through the payment sandbox.
    upstreams: { PAYMENT_PROVIDER_URL: 'payment-sandbox' },
  },
  // The order service's workers: their port serves only /health/*.
  relay: {
    entry: 'services/order/src/relay/main.ts',
    port: 8084,
    portVar: 'RELAY_PORT',
    dev: { folder: 'services/order', script: 'dev:relay' },
  },
  consumer: {
    entry: 'services/order/src/consumer/main.ts',
    port: 8085,
    portVar: 'CONSUMER_PORT',
    dev: { folder: 'services/order', script: 'dev:consumer' },
  },
  // The card processor the order service charges through (a sandbox with a real provider's shape).
  'payment-sandbox': {
    entry: 'services/payment-sandbox/src/main.ts',
    port: 8086,
    portVar: 'PAYMENT_SANDBOX_PORT',
    dev: { folder: 'services/payment-sandbox', script: 'dev' },
  },
  gateway: {
    entry: 'services/gateway/src/main.ts',
    port: 8080,
    portVar: 'GATEWAY_PORT',
    dev: { folder: 'services/gateway', script: 'dev' },
    upstreams: { AUTH_URL: 'auth', PRODUCT_URL: 'product', ORDER_URL: 'order' },
  },
}

/** The order a stack starts them in (the emulator before the gateway that needs it). */
export const processNames = Object.keys(processes) as ProcessName[]

/** Where every process answers ready (200) once its dependencies answer. */
export const readyPath = '/health/ready'

/** Other ways to run a process. */
export const variants = {
  /** GATEWAY_RUNTIME=workerd: the gateway as a Worker on workerd, which reaches Redis only over HTTP. */
  gatewayOnWorkerd: {
    entry: 'services/gateway/src/cli/workerd.ts',
    env: { REDIS_DRIVER: 'upstash' },
    // It runs workerd as a child of its own, which a restart would leave behind.
    watch: false,
  },
  /** PRODUCT_IMPL=go: the Go product service; the script prints the built binary's path. */
  productInGo: { build: 'services/product/go/build.sh' },
}

/** Programs the scripts run besides the processes (one line to change when one moves). */
export const tools = {
  createTopics: 'services/order/src/cli/create-topics.ts',
  seedAdmin: 'services/auth/src/cli/seed-admin.ts',
  seedProduct: 'services/product/src/cli/seed-product.ts',
  benchCheck: 'services/order/src/cli/bench-check.ts',
  /** The bench's ceiling: an Elysia route that does nothing. */
  hello: 'services/gateway/src/cli/hello.ts',
}

export interface StackOptions {
  /** The port of each process of this stack. */
  port: (name: ProcessName) => number
  gatewayRuntime?: 'bun' | 'workerd'
  productImpl?: 'ts' | 'go'
  redisDriver?: string
  /** An Upstash endpoint of one's own; without it the gateway's adapter gets the local emulator. */
  upstashUrl?: string
  upstashToken?: string
  /** Processes this stack does not run; an upstream left out is given `absentUrl`. */
  without?: ProcessName[]
  absentUrl?: string
}

/** One process of a stack, resolved: what to run, on which port, with which variables. */
export interface PlannedProcess {
  name: ProcessName
  entry: string
  /** Run this script first; its output is the command (the Go product service). */
  build?: string
  port: number
  env: Record<string, string>
  watch: boolean
  readyUrl: string
}

export const localUrl = (port: number) => `http://127.0.0.1:${port}`

/** The processes of one stack, in start order, for a mode of running it. */
export function planStack(options: StackOptions): PlannedProcess[] {
  const edge = options.gatewayRuntime === 'workerd'
  const upstash = (edge || options.redisDriver === 'upstash') && !options.upstashUrl
  const token = options.upstashToken ?? 'local-upstash-token'
  const left = new Set(options.without ?? [])
  if (!upstash) left.add('upstash')
  const urlOf = (name: ProcessName) =>
    left.has(name) ? (options.absentUrl ?? localUrl(1)) : localUrl(options.port(name))

  return processNames
    .filter((name) => !left.has(name))
    .map((name) => {
      const info = processes[name]
      const port = options.port(name)
      const env: Record<string, string> = { PORT: String(port) }
      for (const [variable, upstream] of Object.entries(info.upstreams ?? {})) {
        env[variable] = urlOf(upstream)
      }
      const planned: PlannedProcess = {
        name,
        entry: info.entry,
        port,
        env,
        watch: true,
        readyUrl: `${localUrl(port)}${readyPath}`,
      }
      if (name === 'upstash') env.URS_TOKEN = token
      // Checkout: the sandbox signs its events to the order service's webhook endpoint.
      if (name === 'payment-sandbox')
        env.PAYMENT_WEBHOOK_URL = `${urlOf('order')}/webhooks/payments`
      if (name === 'gateway' && upstash) {
        env.UPSTASH_REDIS_REST_URL = urlOf('upstash')
        env.UPSTASH_REDIS_REST_TOKEN = token
      }
      if (name === 'gateway' && edge) {
        Object.assign(env, variants.gatewayOnWorkerd.env)
        planned.entry = variants.gatewayOnWorkerd.entry
        planned.watch = variants.gatewayOnWorkerd.watch
      }
      if (name === 'product' && options.productImpl === 'go') {
        planned.build = variants.productInGo.build
        planned.watch = false
      }
      return planned
    })
}

/**
 * Polls a process's readiness URL until it answers 2xx; throws with the last answer after
 * `timeoutMs`, or at once when `exited()` says the process is gone.
 */
export async function waitReady(
  url: string,
  options: { timeoutMs?: number; exited?: () => boolean; intervalMs?: number } = {},
) {
  const timeoutMs = options.timeoutMs ?? 60_000
  const deadline = Date.now() + timeoutMs
  let last = 'no answer yet'
  while (Date.now() < deadline && !options.exited?.()) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(3000) })
      if (response.ok) return
      last = `${response.status} ${await response.text()}`
    } catch (error) {
      last = (error as Error).message
    }
    await Bun.sleep(options.intervalMs ?? 200)
  }
  const why = options.exited?.() ? 'exited before it was ready' : `not ready after ${timeoutMs} ms`
  throw new Error(`${url}: ${why} (${last})`)
}

// `bun infra/processes.ts shell`: the entries as shell assignments, for the benches:
// entry_<name>=..., entry_gateway_workerd=..., tool_<name>=... (a name's dashes as underscores:
// `entry_payment-sandbox=` is no shell assignment).
const shellName = (name: string) => name.replaceAll('-', '_')
if (import.meta.main) {
  if (process.argv[2] !== 'shell') {
    console.error('usage: bun infra/processes.ts shell')
    process.exit(2)
  }
  const lines = [
    ...processNames.map((name) => `entry_${shellName(name)}=${processes[name].entry}`),
    `entry_gateway_workerd=${variants.gatewayOnWorkerd.entry}`,
    `build_product_go=${variants.productInGo.build}`,
    ...Object.entries(tools).map(([name, path]) => `tool_${name}=${path}`),
  ]
  console.log(lines.join('\n'))
}
