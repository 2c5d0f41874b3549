import { afterAll, expect, test } from 'bun:test'
import { dealOutboxKey, dealStockKey } from '@flash-deal/contracts'
import { createRedis, keySlot } from '@flash-deal/kit/redis'
import { recordingLogger, testEnv } from '@flash-deal/testing'
import { slotGroups } from '../src/relay/slots'

const single = createRedis(testEnv.redisUrl, recordingLogger())
// A cluster client nobody answers: grouping needs only the client's kind and the keys' slots.
const cluster = createRedis('', recordingLogger(), '127.0.0.1:1')
afterAll(() => {
  single.disconnect()
  cluster.disconnect()
})

const deals = Array.from({ length: 40 }, () => crypto.randomUUID())
const keys = deals.map(dealOutboxKey)

test("one Redis node: every deal's stream in one group, in order", () => {
  expect(slotGroups(single, keys, (key) => key)).toEqual([keys])
  expect(slotGroups(single, [], (key) => key)).toEqual([])
})

test('a cluster: one group per slot, each stream in the group of its deal’s slot', () => {
  const groups = slotGroups(cluster, keys, (key) => key)
  expect(groups.flat().sort()).toEqual([...keys].sort())
  for (const group of groups) expect(new Set(group.map(keySlot)).size).toBe(1)
  expect(new Set(groups.map((group) => keySlot(group[0] as string))).size).toBe(groups.length)
  // The deal's hash tag: its stream sits in the slot of its other keys.
  expect(keySlot(dealOutboxKey(deals[0] as string))).toBe(keySlot(dealStockKey(deals[0] as string)))
})
