/**
 * Server CPU per operation of a `make bench-purchase` run, from the /proc samples of
 * scripts/bench/cpu.ts and the k6 summary's schedule (when each run's slices ran). Prints a
 * table and the two ratios that tools outside the repo read, and writes them into the summary
 * JSON (`cpu`).
 *
 *   bun scripts/bench/cpu-report.ts <samples.jsonl> <idle.json> <summary.json> [drain.json]
 *
 * idle.json: quiet windows `[{from, to}]` (epoch ms) in which every process was up and idle;
 * each process's idle rate is taken from the first window it was up in and subtracted, so a
 * poll loop is not charged to the purchases. drain.json: `{from, to, orders}` of the drain.
 */
import { cpuMicros, idleRates, readSamples, type Window } from './cpu'

/** The server processes each run makes work: every one of them is charged to the run. */
const processesOf: Record<string, string[]> = {
  hello: ['hello'],
  sync: ['gateway-sync', 'order', 'postgres', 'redis'],
  async: ['gateway-async', 'redis'],
  traced: ['gateway-traced', 'redis'],
  // The Upstash adapter's runs: the gateway, the REST emulator in front of Redis, and Redis.
  'async-upstash': ['gateway-upstash', 'upstash', 'redis'],
  edge: ['gateway-edge', 'upstash', 'redis'],
  pipeline: ['gateway-async', 'redis', 'relay', 'consumer', 'kafka', 'postgres'],
  drain: ['relay', 'consumer', 'kafka', 'postgres', 'redis'],
}

interface Summary {
  runs: Record<string, { requests: number; accepted: number }>
  schedule?: { run: string; from: number; to: number }[]
  cpu?: unknown
}

const [samplesPath, idlePath, summaryPath, drainPath] = process.argv.slice(2)
if (!samplesPath || !idlePath || !summaryPath) {
  console.error(
    'usage: bun scripts/bench/cpu-report.ts <samples.jsonl> <idle.json> <summary.json> [drain.json]',
  )
  process.exit(64)
}
const samples = readSamples(samplesPath)
const summary = (await Bun.file(summaryPath).json()) as Summary
const idleWindows = (await Bun.file(idlePath).json()) as Window[]
const drain = drainPath
  ? ((await Bun.file(drainPath).json()) as Window & { orders: number })
  : undefined

const idle: Record<string, number> = {}
for (const window of idleWindows) {
  for (const [name, rate] of Object.entries(idleRates(samples, window))) {
    if (!(name in idle) && samples.some((s) => s.t >= window.from && s.ticks[name] !== undefined))
      idle[name] = rate
  }
}

interface RunCpu {
  operations: number
  /** Microseconds of server CPU per operation, all processes of the run together. */
  perOperation: number
  byProcess: Record<string, number>
}

function runCpu(run: string, windows: Window[], operations: number): RunCpu | undefined {
  if (operations <= 0 || windows.length === 0) return undefined
  const byProcess: Record<string, number> = {}
  for (const name of processesOf[run] ?? []) {
    const micros = cpuMicros(samples, name, windows, idle[name] ?? 0)
    if (micros !== undefined) byProcess[name] = micros / operations
  }
  const perOperation = Object.values(byProcess).reduce((sum, value) => sum + value, 0)
  return { operations, perOperation, byProcess }
}

const cpu: Record<string, RunCpu> = {}
for (const [run, figures] of Object.entries(summary.runs)) {
  const windows = (summary.schedule ?? []).filter((slice) => slice.run === run)
  // Answers for hello, accepted purchases for the others: what the run is for.
  const operations = run === 'hello' ? figures.requests : figures.accepted
  const result = runCpu(run, windows, operations)
  if (result) cpu[run] = result
}
if (drain) {
  const result = runCpu('drain', [drain], drain.orders)
  if (result) cpu.drain = result
}

const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b ? a / b : null
const hello = cpu.hello?.perOperation
const frontDoor = cpu.async?.perOperation
const wholePath =
  frontDoor !== undefined && cpu.drain ? frontDoor + cpu.drain.perOperation : undefined
const ratios = {
  frontDoorOverHello: ratio(frontDoor, hello),
  wholePathOverHello: ratio(wholePath, hello),
}

const micros = (value: number) => `${value.toFixed(0)}`
console.log('')
console.log('server CPU per operation (from /proc, each process less its idle rate)')
console.log('run          µs/op   by process (µs/op)')
for (const [run, figures] of Object.entries(cpu)) {
  const parts = Object.entries(figures.byProcess).map(([name, value]) => `${name} ${micros(value)}`)
  console.log(`${run.padEnd(10)} ${micros(figures.perOperation).padStart(7)}   ${parts.join(', ')}`)
}
const shown = (value: number | null) => (value === null ? 'n/a' : `${value.toFixed(1)}x`)
console.log(`front-door cpu/hello: ${shown(ratios.frontDoorOverHello)}`)
console.log(`whole-path cpu/hello: ${shown(ratios.wholePathOverHello)}`)

summary.cpu = { unit: 'microseconds per operation', idlePerSecondTicks: idle, runs: cpu, ratios }
await Bun.write(summaryPath, JSON.stringify(summary, null, 2))
