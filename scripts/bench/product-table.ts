/**
 * Prints the table of `make bench-product` from the per-run JSON lines scripts/bench/product.sh
 * collected: req/s, p50/p99 and server CPU per read (the service plus Postgres plus Redis, from
 * /proc before and after each run), with the ratios Go/TypeScript per strategy and cached/rdb
 * per implementation.
 */
export {}

interface Run {
  name: string
  reads: number
  rps: number
  p50: number
  p99: number
  failed: number
  /** CPU seconds of the service, Postgres and Redis during the run. */
  cpu: { service: number; postgres: number; redis: number }
}

const [file, header] = process.argv.slice(2)
if (!file) throw new Error('usage: product-table.ts <runs.jsonl> [header]')
const runs = (await Bun.file(file).text())
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line) as Run)

// Runs of one name (several rounds) are summed: reads and CPU add up, latencies are averaged.
const byName = new Map<string, Run[]>()
for (const run of runs) byName.set(run.name, [...(byName.get(run.name) ?? []), run])
const merged = [...byName.entries()].map(([name, list]) => {
  const sum = (pick: (run: Run) => number) => list.reduce((total, run) => total + pick(run), 0)
  const cpu = sum((run) => run.cpu.service + run.cpu.postgres + run.cpu.redis)
  return {
    name,
    rps: sum((run) => run.rps) / list.length,
    p50: sum((run) => run.p50) / list.length,
    p99: sum((run) => run.p99) / list.length,
    failed: sum((run) => run.failed),
    // Microseconds of server CPU per read.
    cpuPerRead: (cpu / sum((run) => run.reads)) * 1e6,
    serviceCpuPerRead: (sum((run) => run.cpu.service) / sum((run) => run.reads)) * 1e6,
  }
})
const get = (name: string) => merged.find((row) => row.name === name)

const pad = (text: string, width: number) => text.padStart(width)
console.log(header ? `\n${header}` : '')
console.log(
  `${'run'.padEnd(12)} ${pad('req/s', 8)} ${pad('p50 ms', 8)} ${pad('p99 ms', 8)} ${pad('CPU µs/read', 12)} ${pad('(service)', 10)} ${pad('failed', 7)}`,
)
for (const row of merged) {
  console.log(
    `${row.name.padEnd(12)} ${pad(row.rps.toFixed(0), 8)} ${pad(row.p50.toFixed(2), 8)} ${pad(row.p99.toFixed(2), 8)} ${pad(row.cpuPerRead.toFixed(0), 12)} ${pad(row.serviceCpuPerRead.toFixed(0), 10)} ${pad(String(row.failed), 7)}`,
  )
}
const ratio = (a: string, b: string, label: string) => {
  const x = get(a)
  const y = get(b)
  if (!x || !y) return
  console.log(
    `${label.padEnd(28)} throughput ${(x.rps / y.rps).toFixed(2)}x   CPU per read ${(x.cpuPerRead / y.cpuPerRead).toFixed(2)}x`,
  )
}
console.log('')
ratio('go-cached', 'ts-cached', 'Go / TypeScript, cached')
ratio('go-rdb', 'ts-rdb', 'Go / TypeScript, rdb')
ratio('ts-cached', 'ts-rdb', 'TypeScript cached / rdb')
ratio('go-cached', 'go-rdb', 'Go cached / rdb')
for (const impl of ['ts', 'go']) {
  const ceiling = get(`${impl}-ceiling`)
  if (!ceiling) continue
  const share = ['cached', 'rdb']
    .map((strategy) => {
      const row = get(`${impl}-${strategy}`)
      return row ? `${strategy} ${(row.rps / ceiling.rps).toFixed(2)}` : ''
    })
    .join(', ')
  console.log(`${`${impl} share of its ceiling`.padEnd(28)} ${share}`)
}
if (merged.some((row) => row.failed > 0)) {
  console.error('bench-product: some reads did not answer 200')
  process.exit(1)
}
