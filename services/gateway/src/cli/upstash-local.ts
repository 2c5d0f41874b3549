/**
 * A local Upstash: the Upstash REST protocol served over the local Redis by
 * @humanwhocodes/upstash-redis-server, so the gateway's HTTP adapter (REDIS_DRIVER=upstash) runs
 * against the same data as everything else. A development and test tool, not for production.
 *
 *   PORT (8079)  REDIS_URL (redis://127.0.0.1:6379)  URS_TOKEN (local-upstash-token)
 */
import { createApp } from '@humanwhocodes/upstash-redis-server'

const port = Number(process.env.PORT ?? 8079)
const upstash = createApp({
  token: process.env.URS_TOKEN ?? 'local-upstash-token',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
})

Bun.serve({
  port,
  hostname: '127.0.0.1',
  fetch(request) {
    const { pathname } = new URL(request.url)
    if (request.method === 'GET' && pathname.startsWith('/health/'))
      return Response.json({ status: 'ok' })
    return upstash.fetch(request)
  },
})
console.log(JSON.stringify({ level: 'info', service: 'upstash-local', msg: 'listening', port }))
