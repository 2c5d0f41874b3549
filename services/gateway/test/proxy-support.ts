/** What the proxy tests of both gateways (Bun: proxy.test.ts, workerd: worker.test.ts) share. */
import { expect } from 'bun:test'

/** A request to the upstream as the recording upstream server saw it. */
export interface SeenRequest {
  headers: Record<string, string>
  body: string
}

/** A signup sent through the gateway with hop-by-hop headers it must not forward. */
export const signupWithHopByHopHeaders = (requestId: string): RequestInit => ({
  method: 'POST',
  body: JSON.stringify({ email: 'a@b.c' }),
  headers: {
    'content-type': 'application/json',
    'x-request-id': requestId,
    connection: 'keep-alive, x-secret-hop',
    'x-secret-hop': 'do not forward',
    'proxy-authorization': 'Basic abc',
    authorization: 'Bearer token',
  },
})

/** That signup as the upstream must see it: body, request id and credentials kept, hops gone. */
export function expectForwardedWithoutHops(request: SeenRequest, requestId: string) {
  expect(request.body).toBe('{"email":"a@b.c"}')
  expect(request.headers['x-request-id']).toBe(requestId)
  expect(request.headers.authorization).toBe('Bearer token')
  expect(request.headers['x-secret-hop']).toBeUndefined()
  expect(request.headers['proxy-authorization']).toBeUndefined()
}
