import { expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cpuMicros, idleRates, readSamples, type Sample } from '../cpu'

const samples: Sample[] = [
  { t: 0, ticks: { gateway: 0, redis: 10 } },
  { t: 1000, ticks: { gateway: 50, redis: 10 } },
  { t: 2000, ticks: { gateway: 150, redis: 12 } },
  { t: 3000, ticks: { gateway: 160, redis: 14 } },
]

test('a window is charged the ticks between its ends, interpolated between samples', () => {
  // 50 ticks from 500 ms (25) to 1500 ms (100) = 75 ticks = 0.75 s.
  expect(cpuMicros(samples, 'gateway', [{ from: 500, to: 1500 }])).toBeCloseTo(750_000)
  // Two windows add up.
  expect(
    cpuMicros(samples, 'gateway', [
      { from: 0, to: 1000 },
      { from: 2000, to: 3000 },
    ]),
  ).toBeCloseTo(600_000)
})

test("a process's idle rate is subtracted, and never below zero", () => {
  const idle = idleRates(samples, { from: 2000, to: 3000 })
  expect(idle.gateway).toBeCloseTo(10)
  expect(idle.redis).toBeCloseTo(2)
  // 100 ticks in [1000, 2000] less 10 ticks/s idle = 90 ticks.
  expect(cpuMicros(samples, 'gateway', [{ from: 1000, to: 2000 }], idle.gateway)).toBeCloseTo(
    900_000,
  )
  expect(cpuMicros(samples, 'redis', [{ from: 0, to: 1000 }], 5)).toBe(0)
  expect(cpuMicros(samples, 'postgres', [{ from: 0, to: 1000 }])).toBeUndefined()
})

test('the sampler reads a busy process tree from /proc', async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'flash-deal-cpu-'))
  // A parent that spins in a child: the child's time must count for the parent's name.
  const busy = Bun.spawn([
    'bash',
    '-c',
    'bash -c "end=\\$((SECONDS + 3)); while ((SECONDS < end)); do :; done"; sleep 5',
  ])
  const pidsFile = join(scratch, 'pids')
  const out = join(scratch, 'samples.jsonl')
  writeFileSync(pidsFile, `busy ${busy.pid}\n`)
  const sampler = Bun.spawn(['bun', join(import.meta.dir, '..', 'cpu.ts'), 'sample', pidsFile, out])
  try {
    await Bun.sleep(2500)
    sampler.kill('SIGTERM')
    await sampler.exited
    const read = readSamples(out)
    expect(read.length).toBeGreaterThan(10)
    const first = read.find((sample) => sample.ticks.busy !== undefined) as Sample
    const last = read.at(-1) as Sample
    // About 1.5 s of one core between the first sample (after the first scan) and the last.
    const cpuSeconds = ((last.ticks.busy as number) - (first.ticks.busy as number)) / 100
    expect(cpuSeconds).toBeGreaterThan(0.5)
  } finally {
    busy.kill('SIGKILL')
    sampler.kill('SIGKILL')
    rmSync(scratch, { recursive: true, force: true })
  }
})
