/**
 * Builds the gateway's Worker bundle (services/gateway/dist/worker.js) and fails if it pulls in
 * anything workerd cannot run (ioredis, kafkajs, Node built-ins, Bun's API). `make test` runs it.
 */
import { buildWorkerBundle } from '../edge/bundle'

const report = await buildWorkerBundle()
if (report.problems.length > 0) {
  console.error(
    `the Worker bundle pulls in what workerd cannot run:\n  ${report.problems.join('\n  ')}`,
  )
  process.exit(1)
}
console.log(
  `worker bundle ok: ${report.file} (${(report.bytes / 1e6).toFixed(2)} MB, ${report.modules} modules; no ioredis, kafkajs, node: modules or Bun API)`,
)
