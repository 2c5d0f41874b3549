import { connect } from '@flash-deal/db'
import type { Telemetry } from '@flash-deal/kit'
import { createRedis } from '@flash-deal/kit/redis'
import {
  type CallOptions,
  call as callApp,
  internalAuthFor,
  recordingLogger,
  testEnv,
  uniqueSuffix,
  viaGateway,
} from '@flash-deal/testing'
import type { JWK } from 'jose'
import type { HashingLimits } from '../src/accounts/hashing'
import type { ThrottleLimits } from '../src/accounts/login-throttle'
import { createApp } from '../src/app'
import { newSigningJwk, signingKeysFrom } from '../src/keys/key-store'

export const tokens = {
  issuer: 'flash-deal-auth',
  audience: 'flash-deal',
  accessTtlSeconds: 900,
  refreshTtlSeconds: 3600,
}

/** An auth app on the real Postgres and Redis, with a fresh signing key. */
export async function authApp(
  options: {
    throttleWindowSeconds?: number
    redisUrl?: string
    telemetry?: Telemetry
    throttle?: Partial<ThrottleLimits>
    hashing?: HashingLimits
  } = {},
) {
  const logger = recordingLogger()
  const sql = connect(testEnv.databaseUrl, { max: 4 })
  const redis = createRedis(options.redisUrl ?? testEnv.redisUrl, logger)
  const signingJwk: JWK = await newSigningJwk()
  const keys = await signingKeysFrom(signingJwk, [])
  const app = createApp({
    sql,
    redis,
    logger,
    keys,
    tokens,
    throttle: {
      maxFailuresPerAccount: 3,
      maxFailuresPerAddress: 1000,
      windowSeconds: options.throttleWindowSeconds ?? 60,
      ...options.throttle,
    },
    hashing: options.hashing,
    telemetry: options.telemetry,
    internalAuth: internalAuthFor('auth'),
  })
  const close = async () => {
    await sql.end()
    redis.disconnect()
  }
  return { app, sql, redis, logger, keys, signingJwk, close }
}

export type AuthApp = Awaited<ReturnType<typeof authApp>>['app']

export const newEmail = () => `user-${uniqueSuffix()}@example.test`

/** A request to the auth app as the gateway sends it (with a valid internal token). */
export const call = (app: AuthApp, method: string, path: string, options?: CallOptions) =>
  callApp(viaGateway(app, 'auth'), method, path, options)

export async function signupAndLogin(
  app: AuthApp,
  email = newEmail(),
  password = 'correct horse battery',
) {
  const signup = await call(app, 'POST', '/v1/auth/signup', { body: { email, password } })
  if (signup.status !== 201)
    throw new Error(`signup failed: ${signup.status} ${await signup.text()}`)
  const login = await call(app, 'POST', '/v1/auth/login', { body: { email, password } })
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`)
  return {
    email,
    password,
    ...((await login.json()) as { accessToken: string; refreshToken: string }),
  }
}
