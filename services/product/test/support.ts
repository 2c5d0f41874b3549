/** What the product tests share: the app as the gateway reaches it. */
import { internalAuthFor, viaGateway } from '@flash-deal/testing'
import { createApp as createProductApp, type ProductDeps } from '../src/app'

/**
 * The product app with the run's internal secret, every request carrying the gateway's internal
 * token — the way every `/v1` request reaches it in production.
 */
export const createApp = (deps: Omit<ProductDeps, 'internalAuth'>) =>
  viaGateway(createProductApp({ ...deps, internalAuth: internalAuthFor('product') }), 'product')
