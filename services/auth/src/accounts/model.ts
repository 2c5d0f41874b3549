import { t } from 'elysia'

// Response shapes are closed explicitly: Elysia marks them closed itself once a route has
// answered, which would make the exported OpenAPI document depend on traffic.
const closed = { additionalProperties: false }

const email = t.String({
  format: 'email',
  maxLength: 254,
  description: 'Trimmed and lower-cased before use',
})

export const SignupBody = t.Object(
  {
    email,
    password: t.String({ minLength: 8, maxLength: 128 }),
    displayName: t.Optional(t.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
)

export const LoginBody = t.Object(
  { email, password: t.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
)

export const RefreshBody = t.Object(
  { refreshToken: t.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
)

export const UserView = t.Object(
  {
    id: t.String({ format: 'uuid' }),
    email: t.String(),
    role: t.Union([t.Literal('customer'), t.Literal('admin')]),
    displayName: t.Optional(t.String()),
  },
  closed,
)

export const TokenPairView = t.Object(
  {
    accessToken: t.String(),
    refreshToken: t.String(),
    tokenType: t.Literal('Bearer'),
    expiresIn: t.Integer({ description: 'Seconds until the access token expires' }),
  },
  closed,
)

export type SignupBody = typeof SignupBody.static
export type LoginBody = typeof LoginBody.static
export type UserView = typeof UserView.static
