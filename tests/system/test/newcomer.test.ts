/**
 * The card's way of working, as a newcomer does it after the README's set-up (Bun's directory
 * on the PATH, nothing else): `bun run dev` in each service's folder, and `bun run dev:relay` /
 * `bun run dev:consumer` in the order service's, on a Kafka broker that has just started (its
 * coordinators still loading, as right after `make infra-up`). Each process must come up on the
 * port and with the upstreams `make dev` gives it, the gateway must reach them, and the clean
 * start must print no warning or error line: those read as failures, so only real ones may show.
 */
import { afterAll, expect, setDefaultTimeout, test } from 'bun:test'
import { ORDERS_ACCEPTED } from '@flash-deal/contracts'
import { connect } from '@flash-deal/db'
import { createKafka } from '@flash-deal/kit/kafka'
import { createRedis } from '@flash-deal/kit/redis'
import { recordingLogger, repoRoot, TestProcess, testEnv, uniqueSuffix } from '@flash-deal/testing'
import { localUrl, processes as manifest, processNames, readyPath } from '../../../infra/processes'
import { infra } from '../src/harness'

setDefaultTimeout(180_000)

// Every process with a `bun run` script of its own, on `make dev`'s variables for its port,
// moved clear of every other stack of the run.
const base = Number(process.env.SYSTEM_TEST_PORT_BASE ?? 19080) + 60
const processes = processNames.flatMap((name) => {
  const { dev, port, portVar } = manifest[name]
  return dev ? [{ ...dev, portVar, port: base + port - manifest.gateway.port }] : []
})
const ports = Object.fromEntries(processes.map(({ portVar, port }) => [portVar, port]))

// A clean start is a start on clean state, as on a fresh checkout: a database of its own with
// the schema, a Redis database of its own, a consumer group of its own (new groups start at the
// topic's end). On the other tests' leftovers the reconciler would rightly report drift.
const suffix = uniqueSuffix().replace(/-/g, '_')
const database = `flashdeal_newcomer_${suffix}`
const databaseUrl = Object.assign(new URL(testEnv.databaseUrl), { pathname: `/${database}` }).href
const redisUrl = Object.assign(new URL(testEnv.redisUrl), { pathname: '/7' }).href
const admin = connect(testEnv.databaseUrl, { max: 1 })
const redis = createRedis(redisUrl, recordingLogger())

// The README's set-up and nothing more: Bun from .tools on the PATH, the system's tools after
// it. The rest of the environment is what `make dev` exports (here `make test`'s own servers);
// the ports are `make dev`'s variables, moved clear of every other stack of the run.
const { LOG_LEVEL: _quiet, ...inherited } = process.env
const env = {
  ...inherited,
  ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
  CONSUMER_GROUP: `newcomer-${suffix}`,
  PATH: `${repoRoot}.tools/node_modules/.bin:/usr/local/bin:/usr/bin:/bin`,
}

const running: TestProcess[] = []

afterAll(async () => {
  await Promise.all(running.map((child) => child.stop('SIGINT')))
  await redis.flushdb()
  redis.disconnect()
  await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  await admin.end({ timeout: 5 })
})

/** Verbatim: a shell in the folder, then `bun run <script>`; every line of its output kept. */
function start(folder: string, script: string, port: number) {
  const child = new TestProcess(
    `${folder} ${script}`,
    ['bash', '-c', `cd ${folder} && exec bun run ${script}`],
    {
      env,
      readyUrl: `${localUrl(port)}${readyPath}`,
      readyTimeoutMs: 60_000,
      keep: Number.POSITIVE_INFINITY,
    },
  )
  running.push(child)
  return child.start()
}

const logs = () => running.map(({ name, output }) => `--- ${name}\n${output.join('')}`).join('\n')

/** The lines a reader takes for trouble: JSON logs at warn or error, and runtime warnings. */
function alarming(text: string) {
  return text.split('\n').filter((line) => {
    const json = line.slice(line.indexOf('{'))
    if (line.includes('{"time"')) {
      try {
        const level = (JSON.parse(json) as { level?: string }).level
        return level === 'warn' || level === 'error'
      } catch {}
    }
    return /warn|error|exception/i.test(line)
  })
}

test('bun run dev in every service folder (and the relay and consumer) starts clean', async () => {
  // A broker that has just started, as after `make infra-up`: its coordinators are loading.
  await infra('down', 'kafka')
  await infra('up', 'kafka')

  await admin.unsafe(`CREATE DATABASE ${database}`)
  const migrate = Bun.spawnSync(['bash', 'scripts/db-migrate.sh'], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: databaseUrl },
  })
  expect(migrate.exitCode).toBe(0)
  await redis.flushdb()
  // A fresh checkout's topic is empty; here it holds the other tests' records, so the new group
  // starts past them (the consumer reads a new group's partitions from the beginning).
  const kafka = createKafka({
    clientId: 'newcomer-test',
    brokers: testEnv.kafkaBrokers,
    logger: recordingLogger(),
  })
  const kafkaAdmin = kafka.admin()
  await kafkaAdmin.connect()
  const ends = await kafkaAdmin.fetchTopicOffsets(ORDERS_ACCEPTED)
  await kafkaAdmin.setOffsets({
    groupId: env.CONSUMER_GROUP,
    topic: ORDERS_ACCEPTED,
    partitions: ends.map(({ partition, high }) => ({ partition, offset: high })),
  })
  await kafkaAdmin.disconnect()

  await Promise.all(processes.map(({ folder, script, port }) => start(folder, script, port)))

  // The gateway finds each upstream where `make dev` puts it, and tokens from this auth verify.
  const gateway = localUrl(ports.GATEWAY_PORT ?? 0)
  const email = `newcomer-${uniqueSuffix()}@example.test`
  const credentials = JSON.stringify({ email, password: 'a-long-password-1' })
  const json = { 'content-type': 'application/json' }
  const signup = await fetch(`${gateway}/v1/auth/signup`, {
    method: 'POST',
    headers: json,
    body: credentials,
  })
  expect(signup.status).toBe(201)
  const login = await fetch(`${gateway}/v1/auth/login`, {
    method: 'POST',
    headers: json,
    body: credentials,
  })
  expect(login.status).toBe(200)
  const { accessToken } = (await login.json()) as { accessToken: string }
  const bearer = { authorization: `Bearer ${accessToken}` }
  expect((await fetch(`${gateway}/v1/auth/me`, { headers: bearer })).status).toBe(200)
  expect((await fetch(`${gateway}/v1/products`)).status).toBe(200)
  const orders = await fetch(`${gateway}/v1/orders`, { headers: bearer })
  expect(orders.status).toBe(200)
  expect(await orders.json()).toEqual({ items: [], nextCursor: null })

  // Long enough for the consumer to join its group and the relay's producer to settle.
  await Bun.sleep(4000)
  const text = logs()
  for (const { name } of running) expect(text).toContain(`--- ${name}`)
  expect(text.match(/^stack: ready$/gm)?.length).toBe(processes.length)
  expect(alarming(text)).toEqual([])
})
