import { PayloadTooLargeError } from './errors'

/** A request's body as bytes, refused (413) as soon as it passes `maxBytes`; empty when none. */
export async function readCapped(
  request: Request,
  maxBytes: number,
): Promise<Uint8Array<ArrayBuffer>> {
  if (!request.body) return new Uint8Array(0)
  // A declared length within the limit: the framing ends the body there, so it is read whole
  // (a stream reader per request costs more than the rest of a small request's handling).
  const declared = declaredLength(request)
  if (declared !== undefined && declared <= maxBytes) {
    const bytes = new Uint8Array(await request.arrayBuffer())
    if (bytes.byteLength > maxBytes) throw new PayloadTooLargeError(maxBytes)
    return bytes
  }
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel()
      throw new PayloadTooLargeError(maxBytes)
    }
    chunks.push(value)
  }
  // Streamed (no Content-Length, rare here): the chunks joined into one buffer of its own.
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}

/** The request's Content-Length when it is a plain decimal number. */
function declaredLength(request: Request): number | undefined {
  const header = request.headers.get('content-length')
  return header && /^\d{1,15}$/.test(header) ? Number(header) : undefined
}
