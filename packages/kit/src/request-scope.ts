/**
 * The request scope: while a request is served, OpenTelemetry's active context is that
 * request's (its HTTP server span), so whatever the handler calls — a service, a repository, a
 * traced query, a Redis span — parents on it without being handed a trace context.
 *
 * The context lives in an AsyncLocalStorage (OpenTelemetry's AsyncLocalStorageContextManager),
 * which Bun has and workerd has from compatibility date 2026-08-04 on (`node:async_hooks` with
 * Node compatibility on by default). It is entered with `context.with`, around the whole of
 * Elysia's handling of one request (a `wrap` of the app), never with `enterWith`: workerd does
 * not implement it, and a scope entered that way would outlive the request in its caller.
 */
import { type Context, context } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'

let enabled = false

/** Registers the context manager, once per process (the kit's telemetry calls it). */
export function enableRequestScope() {
  if (enabled) return
  // `false` when another manager is registered already: contexts still travel through it.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  enabled = true
}

/** The context of the work in progress: the request's inside a request, else the root context. */
export const activeTrace = (): Context => context.active()

/** Runs `work` with `trace` as the active context (for everything it starts, awaited or not). */
export const withTrace = <T>(trace: Context, work: () => T): T => context.with(trace, work)
