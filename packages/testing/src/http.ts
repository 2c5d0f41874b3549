/** Requests to an app without a socket (`app.handle`), as the tests of every service send them. */

export interface Handler {
  handle(request: Request): Promise<Response>
}

export interface CallOptions {
  /** Sent as JSON (with its content type), or as it is when a string. */
  body?: unknown
  /** A bearer token for `authorization`. */
  token?: string
  headers?: Record<string, string>
}

/** One request to `app`: `call(app, 'POST', '/v1/products', { body, token })`. */
export function call(app: Handler, method: string, path: string, options: CallOptions = {}) {
  const headers: Record<string, string> = { ...options.headers }
  if (options.body !== undefined) headers['content-type'] ??= 'application/json'
  if (options.token) headers.authorization = `Bearer ${options.token}`
  const body =
    options.body === undefined || typeof options.body === 'string'
      ? options.body
      : JSON.stringify(options.body)
  return app.handle(new Request(`http://localhost${path}`, { method, headers, body }))
}

/** `call` bound to one app: `const call = caller(app); await call('GET', '/v1/orders')`. */
export const caller =
  (app: Handler) =>
  (method: string, path: string, options: CallOptions = {}) =>
    call(app, method, path, options)
