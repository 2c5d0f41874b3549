/**
 * The ceiling of `make bench-purchase`: the cheapest Elysia route there is, served by the same
 * Bun and Elysia as the gateway on the same box, so the purchase figures read as a share of
 * what this stack can answer at all. It lives in the gateway workspace because Bun's isolated
 * installs only let a workspace import its own dependencies.
 */
import { Elysia } from 'elysia'

const port = Number(process.env.PORT ?? 18486)
const hostname = process.env.HOST ?? '127.0.0.1'

new Elysia()
  .get('/hello', () => 'hello')
  // The bench waits on every process's /health/ready, this one included.
  .get('/health/ready', () => 'ok')
  .listen({ port, hostname })
