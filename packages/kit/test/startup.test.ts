/** The services as real processes: fail fast on bad config, shut down cleanly on SIGTERM. */
import { describe, expect, test } from 'bun:test'

const root = new URL('../../../', import.meta.url).pathname
const services = ['gateway', 'auth', 'product', 'order']

const run = (service: string, env: Record<string, string>) =>
  Bun.spawn(['bun', `services/${service}/src/main.ts`], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  })

describe('service start-up', () => {
  test.each(services)(
    '%s refuses to start with a malformed variable and names it',
    async (service) => {
      const child = run(service, { PORT: 'not-a-port' })
      expect(await child.exited).toBe(1)
      const stderr = await new Response(child.stderr).text()
      expect(stderr).toContain('invalid environment variable PORT')
    },
  )

  test.each(services)(
    '%s refuses to start without an internal-auth secret of at least 32 bytes',
    async (service) => {
      for (const secret of ['', 'too-short-secret']) {
        const child = run(service, { INTERNAL_AUTH_SECRET: secret })
        expect(await child.exited).toBe(1)
        expect(await new Response(child.stderr).text()).toContain(
          'invalid environment variable INTERNAL_AUTH_SECRET',
        )
      }
    },
  )

  test('a bad URL variable is named too', async () => {
    const child = run('product', { DATABASE_URL: 'mysql://nope' })
    expect(await child.exited).toBe(1)
    expect(await new Response(child.stderr).text()).toContain('DATABASE_URL')
  })

  test('SIGTERM drains and closes every client, then exits 0', async () => {
    const port = 18_000 + Math.floor(Math.random() * 900)
    const child = run('product', { PORT: String(port) })
    let ready = false
    for (let i = 0; i < 80 && !ready; i += 1) {
      ready = await fetch(`http://127.0.0.1:${port}/health/live`).then(
        (r) => r.ok,
        () => false,
      )
      if (!ready) await Bun.sleep(100)
    }
    expect(ready).toBe(true)
    child.kill('SIGTERM')
    expect(await child.exited).toBe(0)
    const steps = (await new Response(child.stdout).text())
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.msg === 'closed')
      .map((entry) => entry.step)
    expect(steps).toEqual(['http server', 'revoked sessions', 'postgres', 'redis'])
  })
})
