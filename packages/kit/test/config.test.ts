import { describe, expect, test } from 'bun:test'
import { Type as T } from '@sinclair/typebox'
import { ConfigError, loadConfig } from '../src/config'
import { baseConfig, port, redisUrl } from '../src/service-config'

const Schema = T.Object({
  ...baseConfig,
  PORT: port(8081),
  REDIS_URL: redisUrl,
  ENABLE_CACHE: T.Boolean({ default: true }),
})

describe('loadConfig', () => {
  test('fills defaults and converts strings to numbers and booleans', () => {
    const config = loadConfig(Schema, { PORT: '9000', ENABLE_CACHE: 'false' })
    expect(config.PORT).toBe(9000)
    expect(config.ENABLE_CACHE).toBe(false)
    expect(config.HOST).toBe('127.0.0.1')
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379')
  })

  test('treats an empty variable as unset', () => {
    expect(loadConfig(Schema, { PORT: '' }).PORT).toBe(8081)
  })

  test.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['REDIS_URL', 'http://not-redis'],
    ['LOG_LEVEL', 'loud'],
    ['ENABLE_CACHE', 'maybe'],
  ])('rejects %s=%s naming the variable', (variable, value) => {
    const attempt = () => loadConfig(Schema, { [variable]: value })
    expect(attempt).toThrow(ConfigError)
    expect(attempt).toThrow(
      new RegExp(`invalid environment variable ${variable}: .*got "${value}"`),
    )
  })

  test('names a required variable that is missing', () => {
    const Required = T.Object({ JWT_ISSUER: T.String({ minLength: 1 }) })
    expect(() => loadConfig(Required, {})).toThrow(/JWT_ISSUER: .*it is missing/)
  })
})
