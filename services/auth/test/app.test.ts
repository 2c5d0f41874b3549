import { afterAll, describe, expect, test } from 'bun:test'
import { connect, queries } from '@flash-deal/db'
import { closeRedis, createRedis } from '@flash-deal/kit/redis'
import {
  deadRedisUrl,
  internalAuthFor,
  recordingLogger,
  refusedInternalTokens,
  repoRoot,
  testEnv,
  uniqueSuffix,
} from '@flash-deal/testing'
import { createApp } from '../src/app'
import { newSigningJwk, signingKeysFrom } from '../src/keys/key-store'
import { tokens } from './support'

const logger = recordingLogger()
const sql = connect(testEnv.databaseUrl, { max: 2 })
const redis = createRedis(testEnv.redisUrl, logger)
const deadRedis = createRedis(deadRedisUrl, logger)

afterAll(async () => {
  await sql.end()
  await closeRedis(redis)
  deadRedis.disconnect()
})

const fullApp = async (client: typeof redis) =>
  createApp({
    sql,
    redis: client,
    logger,
    keys: await signingKeysFrom(await newSigningJwk(), []),
    tokens,
    throttle: { maxFailuresPerAccount: 5, maxFailuresPerAddress: 50, windowSeconds: 60 },
    internalAuth: internalAuthFor('auth'),
  })

describe('auth service', () => {
  test('is ready when Postgres and Redis answer', async () => {
    const response = await (await fullApp(redis)).handle(
      new Request('http://localhost/health/ready'),
    )
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({
      status: 'ok',
      checks: { postgres: 'ok', redis: 'ok' },
    })
  })

  test('is live but not ready when Redis is down, and says which', async () => {
    const app = await fullApp(deadRedis)
    expect((await app.handle(new Request('http://localhost/health/live'))).status).toBe(200)
    const response = await app.handle(new Request('http://localhost/health/ready'))
    expect(response.status).toBe(503)
    expect((await response.json()).down).toEqual(['redis'])
  })

  test('seed-admin stores the admin with an argon2id hash, and re-running it is harmless', async () => {
    const email = `admin-${uniqueSuffix()}@flash-deal.test`
    const run = () =>
      Bun.spawnSync(['bun', 'services/auth/src/cli/seed-admin.ts'], {
        cwd: repoRoot,
        env: {
          ...process.env,
          DATABASE_URL: testEnv.databaseUrl,
          ADMIN_EMAIL: email,
          ADMIN_PASSWORD: 'seeded-password-1',
        },
      })
    expect(run().exitCode).toBe(0)
    expect(run().exitCode).toBe(0)
    const admin = await queries.getUserByEmail(sql, { email })
    expect(admin?.role).toBe('admin')
    expect(admin?.passwordHash).toStartWith('$argon2id$')
    expect(await Bun.password.verify('seeded-password-1', admin?.passwordHash ?? '')).toBe(true)
  })
})

describe('only the gateway may call /v1 (internal authentication)', () => {
  test.each(['POST /v1/auth/login', 'POST /v1/auth/signup', 'GET /v1/auth/me'])(
    'a direct %s without a valid internal token is 401 problem+json',
    async (route) => {
      const [method, path] = route.split(' ') as [string, string]
      const app = await fullApp(redis)
      for (const [label, token] of await refusedInternalTokens('auth')) {
        const response = await app.handle(
          new Request(`http://localhost${path}`, {
            method,
            headers: {
              'content-type': 'application/json',
              ...(token ? { 'x-internal-token': token } : {}),
            },
            body:
              method === 'POST'
                ? JSON.stringify({
                    email: `direct-${uniqueSuffix()}@example.test`,
                    password: 'long enough',
                  })
                : undefined,
          }),
        )
        expect({ label, status: response.status }).toEqual({ label, status: 401 })
        expect(response.headers.get('content-type')).toBe('application/problem+json')
        expect((await response.json()).type).toBe('urn:flash-deal:problem:internal-auth-required')
      }
    },
  )

  test('the JWKS, health and Swagger stay open without a token', async () => {
    const app = await fullApp(redis)
    for (const path of ['/.well-known/jwks.json', '/health/live', '/swagger/json']) {
      expect((await app.handle(new Request(`http://localhost${path}`))).status).toBe(200)
    }
  })
})
