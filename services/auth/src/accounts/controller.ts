import { bearerAuth, bearerSecurity, ProblemSchema } from '@flash-deal/kit'
import { trustedClientAddress } from '@flash-deal/kit/internal-auth'
import type { TokenVerifier } from '@flash-deal/kit/jwt'
import { Elysia, t } from 'elysia'
import { LoginBody, RefreshBody, SignupBody, TokenPairView, UserView } from './model'
import type { AccountService } from './service'

/**
 * The client's address as the gateway saw it (the last X-Forwarded-For entry, which the gateway
 * appends), trusted only on a request that carries a valid internal token; a direct caller is
 * counted under its own socket address, whatever it sends.
 */
export const clientAddress = trustedClientAddress

/** Emails are trimmed before the schema checks them, so " Kim@Example.com " is accepted. */
function trimEmail({ body }: { body: unknown }) {
  const record = body as { email?: unknown } | null
  if (record && typeof record.email === 'string') record.email = record.email.trim()
}

export function accountsController(accounts: AccountService, verifier: TokenVerifier) {
  return new Elysia({ name: 'accounts', prefix: '/v1/auth' })
    .use(bearerAuth(verifier))
    .post('/signup', async ({ body, status }) => status(201, await accounts.signup(body)), {
      body: SignupBody,
      transform: trimEmail,
      response: { 201: UserView, 409: ProblemSchema, 422: ProblemSchema, 503: ProblemSchema },
      detail: {
        tags: ['auth'],
        summary: 'Create a customer account',
        description:
          '503 with Retry-After when too many sign-ups and logins are hashing passwords at once.',
      },
    })
    .post(
      '/login',
      ({ body, request, server }) =>
        accounts.login(body, clientAddress(request, server?.requestIP(request)?.address)),
      {
        body: LoginBody,
        transform: trimEmail,
        response: {
          200: TokenPairView,
          401: ProblemSchema,
          429: ProblemSchema,
          503: ProblemSchema,
        },
        detail: {
          tags: ['auth'],
          summary: 'Exchange email and password for an access and a refresh token',
          description:
            'Attempts are throttled per account and address with progressive delays (429 with Retry-After; see the README). 503 with Retry-After when too many logins are hashing at once.',
        },
      },
    )
    .post('/refresh', ({ body }) => accounts.refresh(body.refreshToken), {
      body: RefreshBody,
      response: { 200: TokenPairView, 401: ProblemSchema },
      detail: {
        tags: ['auth'],
        summary: 'Rotate a refresh token; replaying a used one revokes its whole session',
      },
    })
    .post(
      '/logout',
      async ({ user, status }) => {
        await accounts.logout(user)
        return status(204, undefined)
      },
      {
        auth: 'user',
        response: { 204: t.Void(), 401: ProblemSchema },
        detail: {
          tags: ['auth'],
          summary: "Revoke the caller's session (its refresh tokens)",
          security: bearerSecurity,
        },
      },
    )
    .get('/me', ({ user }) => accounts.me(user), {
      auth: 'user',
      response: { 200: UserView, 401: ProblemSchema },
      detail: { tags: ['auth'], summary: 'The caller', security: bearerSecurity },
    })
}
