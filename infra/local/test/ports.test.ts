/** infra-up refuses a port someone else holds, naming the port and the piece. */
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = new URL('../../../', import.meta.url).pathname
const stateDir = mkdtempSync(join(tmpdir(), 'flash-infra-port-'))
const squatter = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('taken') })

afterAll(() => {
  squatter.stop(true)
  rmSync(stateDir, { recursive: true, force: true })
})

test('infra-up names the taken port and the piece, and starts nothing', () => {
  const result = Bun.spawnSync(['bash', 'infra/local/up.sh', 'redis'], {
    cwd: root,
    env: { ...process.env, FLASH_STATE_DIR: stateDir, REDIS_PORT: String(squatter.port) },
  })
  expect(result.exitCode).not.toBe(0)
  expect(result.stderr.toString()).toContain(`port ${squatter.port} (redis) is already in use`)
})
