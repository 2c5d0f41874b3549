/**
 * wrangler.toml documents a deployment that cannot be tried here; this keeps it in step with what
 * is tested: the same bundle, the same compatibility date, variables the config schema knows.
 */
import { expect, test } from 'bun:test'
import { GatewayConfig } from '../src/config'
import { bundleDir } from '../src/edge/bundle'
import { COMPATIBILITY_DATE } from '../src/edge/workerd-config'
import wrangler from '../wrangler.toml'

const deployment = wrangler as {
  main: string
  no_bundle: boolean
  compatibility_date: string
  send_metrics: boolean
  build: { command: string }
  vars: Record<string, string>
}

test('wrangler.toml deploys the tested bundle as it is, with the tested compatibility date', () => {
  expect(new URL(deployment.main, new URL('../', import.meta.url)).pathname).toBe(
    `${bundleDir}/worker.js`,
  )
  expect(deployment.no_bundle).toBe(true)
  expect(deployment.build.command).toBe('bun src/cli/build-worker.ts')
  expect(deployment.compatibility_date).toBe(COMPATIBILITY_DATE)
  expect(deployment.send_metrics).toBe(false)
})

test("wrangler.toml's variables are the gateway's, on the Upstash adapter, with no secret among them", () => {
  const known = Object.keys(GatewayConfig.properties)
  for (const name of Object.keys(deployment.vars)) expect(known).toContain(name)
  expect(deployment.vars.REDIS_DRIVER).toBe('upstash')
  expect(deployment.vars).not.toHaveProperty('UPSTASH_REDIS_REST_TOKEN')
  expect(deployment.vars).not.toHaveProperty('INTERNAL_AUTH_SECRET')
})
