/**
 * One small picture of a `make bench-purchase` run: per run, what it delivered per second and
 * what one operation cost the servers in CPU (stacked by process), from the summary JSON that
 * scripts/bench/cpu-report.ts completed. Plain SVG, no dependency; the README shows the latest.
 *
 *   bun scripts/bench/chart.ts <summary.json> <out.svg>
 */
export {}

interface Summary {
  vus: number
  duration: string
  rounds: number
  runs: Record<string, { perSecond: number; p50: number; p99: number }>
  cpu?: {
    runs: Record<string, { perOperation: number; byProcess: Record<string, number> }>
    ratios: { frontDoorOverHello: number | null; wholePathOverHello: number | null }
  }
}

const [summaryPath, outPath] = process.argv.slice(2)
if (!summaryPath || !outPath) {
  console.error('usage: bun scripts/bench/chart.ts <summary.json> <out.svg>')
  process.exit(64)
}
const summary = (await Bun.file(summaryPath).json()) as Summary

// One colour per server process, the same in every chart.
const colours: Record<string, string> = {
  hello: '#9e9e9e',
  'gateway-async': '#1f77b4',
  'gateway-sync': '#1f77b4',
  'gateway-traced': '#1f77b4',
  redis: '#d62728',
  order: '#9467bd',
  postgres: '#2ca02c',
  relay: '#ff7f0e',
  consumer: '#8c564b',
  kafka: '#17becf',
}
const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

const runs = Object.keys(summary.runs)
const cpuRuns = Object.keys(summary.cpu?.runs ?? {})
const rowHeight = 22
const labelWidth = 80
const barWidth = 420
const panelGap = 40
const width = labelWidth + barWidth + 170
const throughputTop = 50
const cpuTop = throughputTop + runs.length * rowHeight + panelGap
const legendTop = cpuTop + cpuRuns.length * rowHeight + 16
const height = legendTop + 40
const parts: string[] = []
const text = (x: number, y: number, content: string, extra = '') =>
  parts.push(`<text x="${x}" y="${y}" ${extra}>${escapeXml(content)}</text>`)

text(
  8,
  18,
  `make bench-purchase: ${summary.vus} VUs x ${summary.duration} per run, front-door runs taking turns in ${summary.rounds} rounds`,
  'font-weight="bold"',
)
text(8, throughputTop - 10, 'per second (answers for hello, accepted purchases otherwise)')
const maxRate = Math.max(1, ...runs.map((run) => summary.runs[run]?.perSecond ?? 0))
runs.forEach((run, index) => {
  const figures = summary.runs[run]
  if (!figures) return
  const y = throughputTop + index * rowHeight
  const w = (figures.perSecond / maxRate) * barWidth
  text(8, y + 14, run)
  parts.push(
    `<rect x="${labelWidth}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 6}" fill="#4e79a7"/>`,
  )
  text(labelWidth + w + 4, y + 14, `${Math.round(figures.perSecond)}/s`)
})

const ratios = summary.cpu?.ratios
const shown = (value: number | null | undefined) =>
  typeof value === 'number' ? `${value.toFixed(1)}x` : 'n/a'
text(
  8,
  cpuTop - 10,
  `server CPU per operation, µs (front door / hello ${shown(ratios?.frontDoorOverHello)}, whole path / hello ${shown(ratios?.wholePathOverHello)})`,
)
// The axis ends at three times the median run, so one costly run (sync: a Postgres transaction
// per purchase) does not squash the others into slivers; a longer bar is cut, its value written.
const costs = cpuRuns.map((run) => summary.cpu?.runs[run]?.perOperation ?? 0).sort((a, b) => a - b)
const median = costs[Math.floor(costs.length / 2)] ?? 1
const maxCpu = Math.max(1, Math.min(costs.at(-1) ?? 1, 3 * median))
const processes = new Set<string>()
cpuRuns.forEach((run, index) => {
  const figures = summary.cpu?.runs[run]
  if (!figures) return
  const y = cpuTop + index * rowHeight
  text(8, y + 14, run)
  let x = labelWidth
  for (const [name, micros] of Object.entries(figures.byProcess)) {
    processes.add(name.startsWith('gateway') ? 'gateway' : name)
    const w = Math.max(0, Math.min((micros / maxCpu) * barWidth, labelWidth + barWidth - x))
    const colour = colours[name] ?? '#bcbd22'
    parts.push(
      `<rect x="${x.toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 6}" fill="${colour}"><title>${escapeXml(`${name} ${micros.toFixed(0)} µs`)}</title></rect>`,
    )
    x += w
  }
  const cut = figures.perOperation > maxCpu
  if (cut) text(x - 14, y + 15, '//', 'fill="white" font-weight="bold"')
  text(x + 4, y + 14, `${figures.perOperation.toFixed(0)} µs${cut ? ' (bar cut)' : ''}`)
})
let legendX = 8
for (const name of processes) {
  const colour = colours[name === 'gateway' ? 'gateway-async' : name] ?? '#bcbd22'
  parts.push(`<rect x="${legendX}" y="${legendTop}" width="10" height="10" fill="${colour}"/>`)
  text(legendX + 14, legendTop + 9, name)
  legendX += 14 + name.length * 7 + 12
}

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">
<title>make bench-purchase: throughput and server CPU per operation, per run</title>
<rect width="100%" height="100%" fill="white"/>
${parts.join('\n')}
</svg>
`
await Bun.write(outPath, svg)
console.log(`bench: chart in ${outPath}`)
