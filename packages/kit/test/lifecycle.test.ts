import { expect, test } from 'bun:test'
import { createShutdown } from '../src/lifecycle'
import { createLogger } from '../src/logger'

const quiet = createLogger({ level: 'error', sink: () => {} })

test('shutdown closes every step once, in order, however often it is triggered', async () => {
  const closed: string[] = []
  const exits: number[] = []
  const shutdown = createShutdown({
    logger: quiet,
    exit: (code) => exits.push(code),
    steps: ['http server', 'postgres', 'redis'].map((name) => ({
      name,
      close: async () => {
        await Bun.sleep(5)
        closed.push(name)
      },
    })),
  })
  await Promise.all([shutdown(), shutdown(), shutdown()])
  expect(closed).toEqual(['http server', 'postgres', 'redis'])
  expect(exits).toEqual([0])
})

test('a failing step does not stop the others and makes the exit code 1', async () => {
  const closed: string[] = []
  const exits: number[] = []
  const shutdown = createShutdown({
    logger: quiet,
    exit: (code) => exits.push(code),
    steps: [
      { name: 'kafka', close: () => Promise.reject(new Error('broker gone')) },
      { name: 'postgres', close: () => void closed.push('postgres') },
    ],
  })
  await shutdown()
  expect(closed).toEqual(['postgres'])
  expect(exits).toEqual([1])
})

test('a step that hangs is cut off by the timeout', async () => {
  const exits: number[] = []
  const shutdown = createShutdown({
    logger: quiet,
    timeoutMs: 30,
    exit: (code) => exits.push(code),
    steps: [{ name: 'stuck', close: () => new Promise(() => {}) }],
  })
  void shutdown()
  await Bun.sleep(80)
  expect(exits).toEqual([1])
})
