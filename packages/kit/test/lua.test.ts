import { afterAll, expect, test } from 'bun:test'
import { testEnv } from '@flash-deal/testing'
import Redis from 'ioredis'
import { defineLuaScript, type LuaEvaluator } from '../src/lua'

const redis = new Redis(testEnv.redisUrl, { maxRetriesPerRequest: 1 })
afterAll(() => redis.quit())

const key = () => `lua-test:{${crypto.randomUUID()}}`
const counter = defineLuaScript(
  'count-up',
  "return redis.call('INCRBY', KEYS[1], ARGV[1]) -- lua.test.ts",
)

/** The real client, with the commands it was sent counted. */
function counting(client: Redis) {
  const sent: string[] = []
  const evaluator: LuaEvaluator = {
    evalsha(...call) {
      sent.push('EVALSHA')
      return client.evalsha(...call)
    },
    eval(...call) {
      sent.push('EVAL')
      return client.eval(...call)
    },
  }
  return { sent, evaluator }
}

test('the SHA is the one Redis gives the script', async () => {
  expect(await counter.sha()).toBe((await redis.script('LOAD', counter.source)) as string)
})

test('after SCRIPT FLUSH: NOSCRIPT, one EVAL that loads it again, then EVALSHA only', async () => {
  await redis.script('FLUSH')
  const { sent, evaluator } = counting(redis)
  const k = key()
  expect(await counter.run(evaluator, [k], [2])).toBe(2)
  expect(sent).toEqual(['EVALSHA', 'EVAL'])
  expect(await redis.script('EXISTS', await counter.sha())).toEqual([1])
  expect(await counter.run(evaluator, [k], [3])).toBe(5)
  expect(sent).toEqual(['EVALSHA', 'EVAL', 'EVALSHA'])
  await redis.del(k)
})

test('an ioredis client is a LuaEvaluator as it is', async () => {
  const k = key()
  expect(await counter.run(redis, [k], ['7'])).toBe(7)
  await redis.del(k)
})

test("the script's own error surfaces, and is not retried as EVAL", async () => {
  const [loaded, k] = [key(), key()]
  await counter.run(redis, [loaded], [1])
  await redis.hset(k, 'a', '1')
  const { sent, evaluator } = counting(redis)
  await expect(counter.run(evaluator, [k], [1])).rejects.toThrow(/WRONGTYPE/)
  expect(sent).toEqual(['EVALSHA'])
  await redis.del(k, loaded)
})

test('a script Redis cannot compile fails on EVAL with its error', async () => {
  const broken = defineLuaScript('broken', 'return redis.call(')
  await expect(broken.run(redis, [], [])).rejects.toThrow(/Error compiling script|ERR/)
})

test('Redis unreachable: the connection error surfaces', async () => {
  const dead = new Redis('redis://127.0.0.1:1', {
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    lazyConnect: true,
  })
  await expect(counter.run(dead, [key()], [1])).rejects.toThrow()
  dead.disconnect()
})
