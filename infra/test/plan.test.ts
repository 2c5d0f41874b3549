/**
 * planStack's topologies: the single node's stack is one of each process, as `make test` and the
 * newcomer test run it; `cluster` adds a second gateway, relay and consumer, each pointed where
 * its first is, on its own port, the relay under its own consumer name.
 */
import { describe, expect, test } from 'bun:test'
import { planStack } from '../plan'
import { type ProcessName, processes, processNames } from '../processes'

const port = (name: ProcessName) => processes[name].port
const byLabel = (plan: ReturnType<typeof planStack>) =>
  Object.fromEntries(plan.map((one) => [one.label, one]))

describe('planStack', () => {
  test('single node: one of each process (but the Upstash emulator), labelled by its name', () => {
    for (const topology of [undefined, 'single'] as const) {
      const plan = planStack({ port, topology })
      expect(plan.map((one) => one.label)).toEqual(processNames.filter((n) => n !== 'upstash'))
      expect(plan.every((one) => one.label === one.name)).toBe(true)
    }
  })

  test('cluster: a second gateway (8090), relay and consumer, each after its first', () => {
    const plan = planStack({ port, topology: 'cluster' })
    expect(plan.map((one) => one.label)).toEqual([
      'auth',
      'product',
      'order',
      'relay',
      'relay-2',
      'consumer',
      'consumer-2',
      'payment-sandbox',
      'gateway',
      'gateway-2',
    ])
    const { gateway, 'gateway-2': gateway2, relay, 'relay-2': relay2 } = byLabel(plan)
    expect(gateway2?.port).toBe(8090)
    expect(gateway2?.readyUrl).toBe('http://127.0.0.1:8090/health/ready')
    expect(gateway2?.env).toEqual({ ...gateway?.env, PORT: '8090' })
    expect(gateway2?.env.PRODUCT_URL).toBe('http://127.0.0.1:8082')
    expect(relay?.env.RELAY_NAME).toBeUndefined() // the relay's default name, relay-1
    expect(relay2?.env).toEqual({ PORT: '8094', RELAY_NAME: 'relay-2' })
    // The same consumer group (the variable passed through): the two split the partitions.
    expect(byLabel(plan)['consumer-2']?.env).toEqual({ PORT: '8095' })
  })

  test("cluster: the second's port is moved like the first's, and the gateway keeps its variant", () => {
    const plan = planStack({
      port: (name) => port(name) + 10_000,
      secondPort: (name) => port(name) + 10_010,
      topology: 'cluster',
      gatewayRuntime: 'workerd',
    })
    const { gateway, 'gateway-2': gateway2 } = byLabel(plan)
    expect(gateway2?.port).toBe(18090)
    expect(gateway2?.entry).toBe(gateway?.entry ?? '')
    expect(gateway2?.watch).toBe(false)
    expect(gateway2?.env.UPSTASH_REDIS_REST_URL).toBe('http://127.0.0.1:18079')
  })
})
