/**
 * Server CPU per operation for the benches, read from /proc: the load generator shares this
 * box's two cores with the servers, so throughput depends on the box, while the CPU a server
 * spends on one operation does not (much).
 *
 *   bun scripts/bench/cpu.ts sample <pids-file> <samples.jsonl>
 *       Until SIGTERM: every 100 ms, the CPU time (user + system, in clock ticks) of each process
 *       named in <pids-file> (lines "name pid", re-read every second, so processes started later
 *       join) and of all its descendants (Postgres's backends), one JSON line per sample.
 *       Descendants that exited are still counted: their parent reaped them, so /proc's
 *       cutime/cstime of the parent hold their time.
 *
 *   bun scripts/bench/cpu.ts idle <samples.jsonl> <from-ms> <to-ms>
 *       Prints each process's idle rate over that window (ticks per second) as JSON.
 *
 * scripts/bench/cpu-report.ts turns the samples and the k6 summary's schedule into figures per
 * operation.
 */
import { appendFileSync, readdirSync, readFileSync } from 'node:fs'

export interface Sample {
  /** Epoch milliseconds. */
  t: number
  /** Clock ticks of CPU so far, per named process (its whole tree). */
  ticks: Record<string, number>
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ): 100 on every Linux this runs on. */
export const TICKS_PER_SECOND = 100

interface ProcStat {
  pid: number
  ppid: number
  /** utime + stime + cutime + cstime. */
  ticks: number
}

function readStat(pid: number): ProcStat | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined // gone between the listing and the read
  }
  // The command name (field 2) may hold spaces and parentheses: split after its last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  // fields[0] is field 3 (state): ppid is field 4, utime..cstime fields 14..17.
  const at = (field: number) => Number(fields[field - 3])
  return { pid, ppid: at(4), ticks: at(14) + at(15) + at(16) + at(17) }
}

function allStats(): ProcStat[] {
  const stats: ProcStat[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = readStat(Number(entry))
    if (stat) stats.push(stat)
  }
  return stats
}

function readPids(file: string): Map<string, number> {
  const pids = new Map<string, number>()
  let text = ''
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return pids
  }
  for (const line of text.split('\n')) {
    const [name, pid] = line.trim().split(/\s+/)
    if (name && pid && /^\d+$/.test(pid)) pids.set(name, Number(pid))
  }
  return pids
}

/** The sampler loop: one JSON line per 100 ms until the process is told to stop. */
async function sample(pidsFile: string, out: string) {
  let pids = readPids(pidsFile)
  let trees = new Map<string, Set<number>>()
  let lastScan = 0
  let stopping = false
  process.on('SIGTERM', () => {
    stopping = true
  })
  while (!stopping) {
    const now = Date.now()
    if (now - lastScan >= 1000) {
      // Re-read the names and re-walk the process trees once a second: cheap enough to leave
      // the cores to the servers, often enough to catch a process started mid-run.
      lastScan = now
      pids = readPids(pidsFile)
      const stats = allStats()
      const children = new Map<number, number[]>()
      for (const stat of stats)
        children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat.pid])
      trees = new Map()
      for (const [name, pid] of pids) {
        const tree = new Set<number>()
        const stack = [pid]
        while (stack.length) {
          const next = stack.pop() as number
          if (tree.has(next)) continue
          tree.add(next)
          stack.push(...(children.get(next) ?? []))
        }
        trees.set(name, tree)
      }
    }
    const ticks: Record<string, number> = {}
    for (const [name, tree] of trees) {
      let total = 0
      for (const pid of tree) total += readStat(pid)?.ticks ?? 0
      ticks[name] = total
    }
    appendFileSync(out, `${JSON.stringify({ t: now, ticks } satisfies Sample)}\n`)
    await Bun.sleep(100)
  }
}

export function readSamples(file: string): Sample[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Sample)
}

/** The ticks of one process at instant t, interpolated between the samples around it. */
function ticksAt(samples: Sample[], name: string, t: number): number | undefined {
  let before: Sample | undefined
  let after: Sample | undefined
  for (const sample of samples) {
    if (sample.ticks[name] === undefined) continue
    if (sample.t <= t) before = sample
    else {
      after = sample
      break
    }
  }
  if (!before) return undefined
  if (!after) return before.ticks[name]
  const share = (t - before.t) / (after.t - before.t)
  return (
    (before.ticks[name] as number) +
    share * ((after.ticks[name] as number) - (before.ticks[name] as number))
  )
}

export interface Window {
  from: number
  to: number
}

/**
 * Microseconds of CPU a process spent in the windows, less its idle rate (ticks per second
 * measured while nothing ran) over the same time: what the load itself cost it.
 */
export function cpuMicros(samples: Sample[], name: string, windows: Window[], idlePerSecond = 0) {
  let ticks = 0
  let seconds = 0
  for (const window of windows) {
    const start = ticksAt(samples, name, window.from)
    const end = ticksAt(samples, name, window.to)
    if (start === undefined || end === undefined) return undefined
    ticks += end - start
    seconds += (window.to - window.from) / 1000
  }
  return Math.max(0, ((ticks - idlePerSecond * seconds) / TICKS_PER_SECOND) * 1e6)
}

/** Each process's idle rate (ticks per second) over one quiet window. */
export function idleRates(samples: Sample[], window: Window): Record<string, number> {
  const names = new Set(samples.flatMap((sample) => Object.keys(sample.ticks)))
  const seconds = (window.to - window.from) / 1000
  return Object.fromEntries(
    [...names].map((name) => {
      const start = ticksAt(samples, name, window.from)
      const end = ticksAt(samples, name, window.to)
      return [name, start === undefined || end === undefined ? 0 : (end - start) / seconds]
    }),
  )
}

if (import.meta.main) {
  const [command, ...args] = process.argv.slice(2)
  if (command === 'sample' && args.length === 2) {
    await sample(args[0] as string, args[1] as string)
  } else if (command === 'idle' && args.length === 3) {
    const samples = readSamples(args[0] as string)
    console.log(JSON.stringify(idleRates(samples, { from: Number(args[1]), to: Number(args[2]) })))
  } else {
    console.error(
      'usage: bun scripts/bench/cpu.ts sample <pids-file> <samples.jsonl>\n' +
        '       bun scripts/bench/cpu.ts idle <samples.jsonl> <from-ms> <to-ms>',
    )
    process.exit(64)
  }
}
