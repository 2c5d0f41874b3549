import { Elysia } from 'elysia'
import { ForbiddenError } from './errors'
import type { AccessClaims, TokenVerifier } from './jwt'

/**
 * `{ auth: 'user' }` or `{ auth: 'admin' }` on a route: verifies the bearer token and puts its
 * claims in the context as `user`. No token or a bad one is 401, a customer on an admin route
 * is 403.
 */
export function bearerAuth(verifier: TokenVerifier) {
  return new Elysia({ name: 'bearer-auth' }).macro({
    auth: (required: 'user' | 'admin') => ({
      async resolve({ request }): Promise<{ user: AccessClaims }> {
        const user = await verifier.verifyAuthorization(request.headers.get('authorization'))
        if (required === 'admin' && user.role !== 'admin') {
          throw new ForbiddenError('This needs an admin account')
        }
        return { user }
      },
    }),
  })
}

/** OpenAPI `security` for a route that takes `{ auth: ... }`. */
export const bearerSecurity = [{ bearer: [] }]
