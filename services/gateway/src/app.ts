import {
  allowedMethods,
  createServiceApp,
  type Logger,
  MethodNotAllowedError,
  type ReadinessCheck,
  type Telemetry,
  telemetryOff,
} from '@flash-deal/kit'
import type { InternalTokenSigner } from '@flash-deal/kit/internal-auth'
import type { TokenVerifier } from '@flash-deal/kit/jwt'
import { proxy, type Upstream } from './proxy'
import { publicDocument } from './public-document'
import {
  type ClientAddress,
  type PurchaseDeps,
  purchaseController,
  type ServerInfo,
  serverAddress,
} from './purchase/controller'
import { type AuthRateLimiter, HASHING_PATHS } from './purchase/rate-limit'

export interface GatewayDeps {
  logger: Logger
  upstreams: { auth: Upstream; product: Upstream; order: Upstream }
  redisReady: ReadinessCheck
  verifier: TokenVerifier
  maxBodyBytes: number
  /** Signs the X-Internal-Token every proxied request carries (decisions §1). */
  internalTokens: InternalTokenSigner
  /** Sign-ups and logins per client address (429); absent, unlimited. */
  authRateLimiter?: Pick<AuthRateLimiter, 'check'>
  /** Tracing (a server span per request, a client span per proxy hop); off when absent. */
  telemetry?: Telemetry
  purchase: Omit<PurchaseDeps, 'verifier' | 'forwardToOrder' | 'clientAddress'>
  /**
   * Where the client's address comes from, for the per-address limit and `X-Forwarded-For`: the
   * socket's peer on Bun (default), what the runtime hands over in the Worker.
   */
  clientAddress?: ClientAddress
  /** Elysia's runtime adapter: Bun's by default, Cloudflare's in the Worker. */
  adapter?: Parameters<typeof createServiceApp>[0]['adapter']
}

/**
 * Which service owns which public path; the gateway is the only public door. Where `verify` is
 * set, a request that carries a bearer token has it checked here first, so a forged or expired
 * token is refused at the door (401) without costing the upstream anything. The owners verify
 * again for the routes that need an identity; auth handles its own tokens.
 */
export const routes = [
  { prefix: '/v1/auth', owner: 'auth', verify: false },
  { prefix: '/v1/products', owner: 'product', verify: true },
  { prefix: '/v1/deals', owner: 'product', verify: true },
  { prefix: '/v1/orders', owner: 'order', verify: true },
] as const

export function createApp({
  logger,
  upstreams,
  redisReady,
  verifier,
  maxBodyBytes,
  internalTokens,
  authRateLimiter,
  telemetry = telemetryOff('gateway'),
  purchase,
  clientAddress = serverAddress,
  adapter,
}: GatewayDeps) {
  const app = createServiceApp({
    name: 'gateway',
    version: '1.0.0',
    description:
      'The public door: verifies tokens, rate limits, owns the purchase hot path and proxies everything else to the owning service. This document is the whole public API as reached through the gateway: its own routes and the routes it proxies to auth, product and order (from their own documents). Sign up, log in, press Authorize with the accessToken, then buy.',
    logger,
    extendDocument: publicDocument({ upstreams, routes, logger }),
    maxBodyBytes,
    telemetry,
    readiness: { redis: redisReady },
    adapter,
  })
  // The purchase route is the gateway's own; it is registered before the `/v1/deals/*` proxy.
  app.use(
    purchaseController({
      ...purchase,
      verifier,
      clientAddress,
      forwardToOrder: (request, body, context) =>
        proxy(
          upstreams.order,
          new Request(request.url, {
            method: 'POST',
            headers: request.headers,
            body: JSON.stringify(body),
          }),
          // The rebuilt request is not the one the kit saw: the hop parents on the active
          // context, the original request's.
          { ...context, maxBodyBytes, internalTokens, telemetry },
        ),
    }),
  )
  for (const { prefix, owner, verify } of routes) {
    const forward = async ({
      request,
      requestId,
      server,
    }: {
      request: Request
      requestId: string
      server: ServerInfo
    }) => {
      refuseOwnPathsOtherMethods(app.routes, request)
      const authorization = request.headers.get('authorization')
      if (verify && authorization) await verifier.verifyAuthorization(authorization)
      // The address the runtime saw (the socket's peer on Bun, workerd's on the edge).
      const address = clientAddress(request, server)
      if (authRateLimiter && owner === 'auth' && costsAHash(request)) {
        await authRateLimiter.check(address)
      }
      return proxy(upstreams[owner], request, {
        requestId,
        maxBodyBytes,
        internalTokens,
        clientAddress: address,
        telemetry,
      })
    }
    // `parse: 'none'` keeps the body as a stream for the proxy instead of parsing it here.
    app.all(prefix, forward, { parse: 'none', detail: { hide: true } })
    app.all(`${prefix}/*`, forward, { parse: 'none', detail: { hide: true } })
  }
  return app
}

/**
 * A path the gateway serves itself (the purchase) is not proxied for another method: it is
 * 405 here, as an upstream answers for its own paths, not a 404 from an upstream that lacks it.
 */
function refuseOwnPathsOtherMethods(
  routes: readonly { method: string; path: string }[],
  request: Request,
) {
  const own = allowedMethods(routes, new URL(request.url).pathname)
  if (own.length > 0 && !own.includes(request.method)) throw new MethodNotAllowedError(own)
}

/** Sign-up and login: the auth routes that cost an argon2 hash. */
function costsAHash(request: Request): boolean {
  if (request.method !== 'POST') return false
  return HASHING_PATHS.includes(new URL(request.url).pathname)
}
