import { createServiceApp, type Logger, type ReadinessCheck } from '@flash-deal/kit'
import { proxy, type Upstream } from './proxy'

export interface GatewayDeps {
  logger: Logger
  upstreams: { auth: Upstream; product: Upstream; order: Upstream }
  redisReady: ReadinessCheck
  maxBodyBytes: number
}

/** Which service owns which public path; the gateway is the only public door. */
const routes = [
  { prefix: '/v1/auth', owner: 'auth' },
  { prefix: '/v1/products', owner: 'product' },
  { prefix: '/v1/deals', owner: 'product' },
  { prefix: '/v1/orders', owner: 'order' },
] as const

export function createApp({ logger, upstreams, redisReady, maxBodyBytes }: GatewayDeps) {
  const app = createServiceApp({
    name: 'gateway',
    version: '1.0.0',
    description:
      'The public door: verifies tokens, rate limits, owns the purchase hot path and proxies everything else to the owning service.',
    logger,
    maxBodyBytes,
    readiness: { redis: redisReady },
  })
  for (const { prefix, owner } of routes) {
    const forward = ({
      request,
      requestId,
      server,
    }: {
      request: Request
      requestId: string
      server: { requestIP(r: Request): { address: string } | null } | null
    }) =>
      proxy(upstreams[owner], request, {
        requestId,
        maxBodyBytes,
        clientAddress: server?.requestIP(request)?.address,
      })
    // `parse: 'none'` keeps the body as a stream for the proxy instead of parsing it here.
    app.all(prefix, forward, { parse: 'none', detail: { hide: true } })
    app.all(`${prefix}/*`, forward, { parse: 'none', detail: { hide: true } })
  }
  return app
}
