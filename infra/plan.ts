/**
 * How a stack runs the processes of `infra/processes.ts`: for a mode of running it (purchase
 * adapter, gateway runtime, product implementation, topology), each process's entry, port,
 * upstream URLs and variables. Read by `scripts/stack.ts` and the system-test harness.
 */
import {
  localUrl,
  type ProcessName,
  processes,
  processNames,
  readyPath,
  variants,
} from './processes'

export interface StackOptions {
  /** The port of each process of this stack. */
  port: (name: ProcessName) => number
  /** `cluster`: two of each process with a `second` (on `secondPort`, default its manifest's). */
  topology?: 'single' | 'cluster'
  secondPort?: (name: ProcessName) => number
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
  /** The name, `-2` for the second of a pair (`TOPOLOGY=cluster`): its log prefix, `--only`. */
  label: string
  entry: string
  /** Run this script first; its output is the command (the Go product service). */
  build?: string
  port: number
  env: Record<string, string>
  watch: boolean
  readyUrl: string
}

/** The processes of one stack, in start order, for a mode of running it. */
export function planStack(options: StackOptions): PlannedProcess[] {
  const edge = options.gatewayRuntime === 'workerd'
  const upstash = (edge || options.redisDriver === 'upstash') && !options.upstashUrl
  const token = options.upstashToken ?? 'local-upstash-token'
  const left = new Set(options.without ?? [])
  if (!upstash) left.add('upstash')
  const urlOf = (name: ProcessName) =>
    left.has(name) ? (options.absentUrl ?? localUrl(1)) : localUrl(options.port(name))

  const once = processNames
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
        label: name,
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
  return options.topology === 'cluster' ? once.flatMap((one) => withSecond(one, options)) : once
}

/** A process and, when it has a `second`, its twin: same upstreams, its own port and `env`. */
function withSecond(first: PlannedProcess, options: StackOptions): PlannedProcess[] {
  const second = processes[first.name].second
  if (!second) return [first]
  const port = options.secondPort?.(first.name) ?? second.port
  const env = { ...first.env, ...second.env, PORT: String(port) }
  const readyUrl = `${localUrl(port)}${readyPath}`
  return [first, { ...first, label: `${first.name}-2`, port, env, readyUrl }]
}
