/**
 * A checkout in a private directory (mode 0700, like root's home on Debian 12) still gets its
 * Postgres: infra-up is run from a copy of the scripts inside such a directory, with the
 * default state dir (`<checkout>/.state/dev`), and the database must answer a password login.
 * As root, the `postgres` OS user cannot traverse that directory, so the files go to its own
 * home and the state dir keeps a symlink; `down.sh --purge` removes both.
 */
import { afterAll, expect, setDefaultTimeout, test } from 'bun:test'
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readlinkSync,
  rmSync,
  statSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

setDefaultTimeout(120_000)

const root = new URL('../../../', import.meta.url).pathname
const home = mkdtempSync(join(tmpdir(), 'flash-private-'))
chmodSync(home, 0o700)
const checkout = join(home, 'flash-deal')
for (const dir of ['infra/local', 'infra/kafka'])
  cpSync(join(root, dir), join(checkout, dir), { recursive: true })
// A port of this run's system-test range (TEST_PORT_OFFSET moves it), clear of the stacks'.
const pgPort = Number(process.env.SYSTEM_TEST_PORT_BASE ?? 19080) + 150
const { FLASH_STATE_DIR: _ignored, ...inherited } = process.env
const env = { ...inherited, PGPORT: String(pgPort) }

const run = (script: string, ...args: string[]) => {
  const result = Bun.spawnSync(['bash', join(checkout, 'infra/local', script), ...args], {
    cwd: checkout,
    env,
  })
  return {
    code: result.exitCode,
    out: `${result.stdout.toString()}${result.stderr.toString()}`,
  }
}

afterAll(() => {
  run('down.sh', '--purge')
  rmSync(home, { recursive: true, force: true })
})

test('infra-up starts Postgres for a checkout in a 0700 directory, and purge cleans up', () => {
  expect(statSync(home).mode & 0o777).toBe(0o700)
  const up = run('up.sh', 'postgres')
  expect(up.out).not.toContain('cannot reach')
  expect(up.code).toBe(0)

  const link = join(checkout, '.state/dev/postgres')
  let outside: string | undefined
  if (process.getuid?.() === 0) {
    // Root: the data lives where the postgres OS user can reach it, named by the state dir.
    expect(up.out).toContain('cannot traverse')
    expect(lstatSync(link).isSymbolicLink()).toBe(true)
    outside = dirname(readlinkSync(link))
    expect(existsSync(join(outside, 'data/PG_VERSION'))).toBe(true)
  }

  // The application's way in: TCP and the password (scram), as the services connect.
  const login = Bun.spawnSync(
    ['psql', '-X', '-w', '-tA', '-h', '127.0.0.1', '-p', String(pgPort), '-U', 'flashdeal'],
    {
      env: { ...env, PGPASSWORD: 'flashdeal', PGDATABASE: 'flashdeal' },
      stdin: Buffer.from('SELECT current_user'),
    },
  )
  expect(login.stdout.toString().trim()).toBe('flashdeal')

  // A second start finds the same data through the link (the choice is recorded, not redone).
  expect(run('down.sh', 'postgres').code).toBe(0)
  const again = run('up.sh', 'postgres')
  expect(again.code).toBe(0)
  expect(again.out).not.toContain('initdb')

  const purge = run('down.sh', '--purge')
  expect(purge.code).toBe(0)
  expect(existsSync(join(checkout, '.state/dev'))).toBe(false)
  if (outside) expect(existsSync(outside)).toBe(false)
})
