import type { ClientAddress } from '../purchase/controller'

/**
 * The client's address, as only the runtime can know it (a header a client sends is never
 * trusted on its own): in a local workerd, the peer address workerd puts in `request.cf.clientIp`
 * (`ip:port`); on Cloudflare, whose `cf` object has no such field, `CF-Connecting-IP`, which the
 * edge sets on every request and overwrites when a client sends one.
 */
export const workerdClientAddress: ClientAddress = (request) => {
  const local = (request as { cf?: { clientIp?: unknown } }).cf?.clientIp
  if (typeof local === 'string' && local) return withoutPort(local)
  return request.headers.get('cf-connecting-ip') ?? undefined
}

// `127.0.0.1:50312` → `127.0.0.1`, `[::1]:50312` → `::1`: one bucket per address, not per socket.
function withoutPort(peer: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(peer)
  if (bracketed?.[1]) return bracketed[1]
  const ipv4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(peer)
  return ipv4?.[1] ?? peer
}
