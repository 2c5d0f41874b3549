/**
 * Places that do not answer, for testing how code behaves when a dependency is down: a port
 * nothing listens on (connecting is refused at once) and a server that accepts connections and
 * never says a word (the caller's own timeout is all that ends the wait).
 */
import type { TCPSocketListener } from 'bun'

/** Port 1 (tcpmux), which no test machine serves. */
export const deadPort = 1
export const deadHost = `127.0.0.1:${deadPort}`
/** The same dead address in each client's form. */
export const deadUrls = {
  http: `http://${deadHost}`,
  redis: `redis://${deadHost}`,
  postgres: `postgres://flashdeal:flashdeal@${deadHost}/flashdeal`,
  /** A Kafka broker list entry. */
  kafka: deadHost,
}
/** A Redis URL nothing listens on. */
export const deadRedisUrl = deadUrls.redis

/** A TCP server on loopback that accepts every connection and never answers; `stop()` it. */
export function silentServer() {
  const listener: TCPSocketListener = Bun.listen({
    hostname: '127.0.0.1',
    port: 0,
    socket: { data() {} },
  })
  return {
    port: listener.port,
    url: `http://127.0.0.1:${listener.port}`,
    stop: () => listener.stop(true),
  }
}
