/**
 * The gateway as a Worker (workerd, the Cloudflare Workers runtime): the same app as on Bun,
 * composed by `composeGateway`, with Elysia's Cloudflare adapter and the Upstash (HTTP) Redis
 * adapter — there are no TCP sockets at the edge. Config comes from the Worker's bindings and is
 * validated by the same TypeBox schema as on Bun.
 *
 * Everything is built at module scope, before the export: workerd allows code generation from
 * strings (Elysia's compiled handlers and validators) only while the script starts, never while
 * it serves a request. Tracing is off here (no exporter runs in the Worker).
 */

import { env } from 'cloudflare:workers'
import { ConfigError, createLogger, loadConfig } from '@flash-deal/kit'
import { CloudflareAdapter } from 'elysia/adapter/cloudflare-worker'
import { composeGateway } from './compose'
import { GatewayConfig } from './config'
import { workerdClientAddress } from './edge/client-address'
import { UpstashPort } from './redis/upstash'

const bindings: Record<string, string> = { REDIS_DRIVER: 'upstash' }
for (const [name, value] of Object.entries(env))
  if (typeof value === 'string') bindings[name] = value

const config = loadConfig(GatewayConfig, bindings)
if (config.REDIS_DRIVER !== 'upstash')
  throw new ConfigError('REDIS_DRIVER', 'the Worker has no TCP sockets: only upstash can run here')
if (!config.UPSTASH_REDIS_REST_URL || !config.UPSTASH_REDIS_REST_TOKEN)
  throw new ConfigError(
    'UPSTASH_REDIS_REST_URL',
    'the Worker needs it and UPSTASH_REDIS_REST_TOKEN',
  )

// workerd writes console output to its own log; one JSON line per call, as on Bun.
const logger = createLogger({
  level: config.LOG_LEVEL,
  bindings: { service: 'gateway', runtime: 'workerd' },
  sink: (line) => console.log(line),
})

const redis = new UpstashPort({
  url: config.UPSTASH_REDIS_REST_URL,
  token: config.UPSTASH_REDIS_REST_TOKEN,
})

const app = composeGateway(config, {
  logger,
  redis,
  clientAddress: workerdClientAddress,
  adapter: CloudflareAdapter,
  // workerd runs no timer outside a request: requests refresh the revoked-sessions copy.
  timers: false,
})

export default app.compile()
