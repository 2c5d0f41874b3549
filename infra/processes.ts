/**
 * The processes of flash-deal, written once: the file each one runs, the port `make dev` gives
 * it and the variable that moves it, the other processes it is pointed at, where it answers
 * ready, when it runs at all, and whether `TOPOLOGY=cluster` runs two (`infra/plan.ts` turns it
 * into a stack's processes). Read by `scripts/stack.ts` (`make dev`, `make test`'s stacks,
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
  /** Stateless: `TOPOLOGY=cluster` runs a second one on this port (and variable), with `env`. */
  second?: { port: number; portVar: string; env?: Record<string, string> }
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
    // Its own consumer name in the outboxes' groups: the two relays share the pending entries.
    second: { port: 8094, portVar: 'RELAY_2_PORT', env: { RELAY_NAME: 'relay-2' } },
  },
  consumer: {
    entry: 'services/order/src/consumer/main.ts',
    port: 8085,
    portVar: 'CONSUMER_PORT',
    dev: { folder: 'services/order', script: 'dev:consumer' },
    // The same consumer group: the two split the partitions.
    second: { port: 8095, portVar: 'CONSUMER_2_PORT' },
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
    second: { port: 8090, portVar: 'GATEWAY_2_PORT' },
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

export const localUrl = (port: number) => `http://127.0.0.1:${port}`

/** Programs the scripts run besides the processes (one line to change when one moves). */
export const tools = {
  createTopics: 'services/order/src/cli/create-topics.ts',
  seedAdmin: 'services/auth/src/cli/seed-admin.ts',
  seedProduct: 'services/product/src/cli/seed-product.ts',
  benchCheck: 'services/order/src/cli/bench-check.ts',
  /** The bench's ceiling: an Elysia route that does nothing. */
  hello: 'services/gateway/src/cli/hello.ts',
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
