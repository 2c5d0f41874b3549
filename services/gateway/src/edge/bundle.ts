/**
 * The Worker bundle: `src/worker.ts` and everything it imports in one ES module, resolved with
 * the `workerd` condition (the kit's bundled Swagger UI assets), plus the check that keeps
 * whatever workerd cannot run out of it. The same file is what `wrangler deploy --no-bundle`
 * would upload (see wrangler.toml).
 */
import { builtinModules } from 'node:module'

const gatewayDir = new URL('../../', import.meta.url).pathname
export const workerEntry = `${gatewayDir}src/worker.ts`
export const bundleDir = `${gatewayDir}dist`

/** Packages that need TCP sockets or Node's runtime: never in the Worker. */
const FORBIDDEN_PACKAGES = ['ioredis', 'kafkajs', 'postgres', '@opentelemetry/sdk-trace-node']

/**
 * Third-party modules allowed to mention `Bun.`: they detect the runtime (`typeof Bun`) and take
 * their web-standard path without it. Any other module that mentions Bun fails the check until
 * someone has looked at it. Our own code (packages/, services/) may never mention it.
 */
const BUN_AWARE_PACKAGES = ['elysia']

/** Imports left unbundled that workerd provides itself. */
const RUNTIME_MODULES = /^cloudflare:/

/**
 * The Node built-ins workerd provides at the Worker's compatibility date (Node compatibility is
 * on by default from 2026-08-04): the kit's request scope (AsyncLocalStorage, through
 * OpenTelemetry's context manager, which also imports `events`). Any other built-in is refused.
 */
const RUNTIME_NODE_MODULES = new Set(['async_hooks', 'events'])

/** Elysia's optional `import('file-type')` (caught; we never serve files by type sniffing). */
const OPTIONAL_DYNAMIC_IMPORTS = new Set(['file-type'])

interface Metafile {
  inputs: Record<
    string,
    { imports: { path: string; kind: string; original?: string; external?: boolean }[] }
  >
  outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>
}

export interface BundleReport {
  file: string
  bytes: number
  modules: number
  problems: string[]
}

const NODE_BUILTINS = new Set(builtinModules.map((name) => name.replace(/^node:/, '')))
const isRuntimeNodeModule = (specifier: string) =>
  RUNTIME_NODE_MODULES.has(specifier.replace(/^node:/, ''))
const isNodeBuiltin = (specifier: string) =>
  !isRuntimeNodeModule(specifier) &&
  (specifier.startsWith('node:') || NODE_BUILTINS.has(specifier.split('/')[0] ?? ''))

const packageOf = (path: string) => {
  const tail = path.split('node_modules/').at(-1) ?? path
  const [scope, name] = tail.split('/')
  return path.includes('node_modules/')
    ? scope?.startsWith('@')
      ? `${scope}/${name}`
      : scope
    : undefined
}

export async function buildWorkerBundle(
  outdir = bundleDir,
  entry = workerEntry,
): Promise<BundleReport> {
  const result = await Bun.build({
    entrypoints: [entry],
    outdir,
    naming: 'worker.js',
    target: 'browser',
    format: 'esm',
    conditions: ['workerd', 'worker', 'browser'],
    // Node built-ins are left as imports instead of failing the build, so the check below can
    // name every one that slipped in, and who imports it.
    external: ['cloudflare:*', 'node:*', ...NODE_BUILTINS],
    metafile: true,
  })
  if (!result.success) {
    const logs = result.logs.map(String).join('\n')
    throw new Error(`the Worker bundle did not build:\n${logs}`)
  }
  const metafile = (
    typeof result.metafile === 'string' ? JSON.parse(result.metafile) : result.metafile
  ) as Metafile
  const file = `${outdir}/worker.js`
  const output = await Bun.file(file).text()
  return { ...(await checkBundle(metafile, output)), file, bytes: output.length }
}

/**
 * What would make the bundle fail in workerd, found statically: a forbidden package, a Node
 * built-in other than the few the runtime provides (RUNTIME_NODE_MODULES), an import left for
 * the runtime that it does not provide, a mention of `Bun.` outside the runtime-detecting
 * packages.
 */
export async function checkBundle(metafile: Metafile, output: string) {
  const problems: string[] = []
  // Only what reached the output counts: the metafile also lists imports tree-shaking dropped.
  const included = new Set<string>()
  for (const out of Object.values(metafile.outputs))
    for (const [input, { bytesInOutput }] of Object.entries(out.inputs))
      if (bytesInOutput > 0) included.add(input)

  for (const input of included) {
    if (isRuntimeNodeModule(input)) continue
    if (isNodeBuiltin(input)) {
      problems.push(`${input}: a Node built-in workerd lacks`)
      continue
    }
    const pkg = packageOf(input)
    if (pkg && FORBIDDEN_PACKAGES.includes(pkg))
      problems.push(`${input}: ${pkg} cannot run in a Worker`)
    if (/packages\/kit\/src\/(redis|kafka)\.ts$/.test(input))
      problems.push(`${input}: the kit's TCP clients cannot run in a Worker`)
    const source = await Bun.file(input).text()
    if (
      /\bBun\.\w|from ['"]bun(:\w+)?['"]/.test(withoutComments(source)) &&
      !(pkg && BUN_AWARE_PACKAGES.includes(pkg))
    )
      problems.push(`${input}: uses Bun's API, which workerd lacks`)
  }
  for (const [input, { imports }] of Object.entries(metafile.inputs)) {
    for (const entry of imports) {
      const specifier = entry.original ?? entry.path
      if (isNodeBuiltin(specifier) || isNodeBuiltin(entry.path))
        problems.push(`${input}: imports ${specifier}, a Node built-in workerd lacks`)
      if (!entry.external || RUNTIME_MODULES.test(entry.path) || isRuntimeNodeModule(entry.path))
        continue
      const quoted = JSON.stringify(entry.path)
      const kept = output.includes(`from ${quoted}`) || output.includes(`import(${quoted})`)
      if (kept && !(entry.kind === 'dynamic-import' && OPTIONAL_DYNAMIC_IMPORTS.has(entry.path)))
        problems.push(`${input}: leaves ${entry.path} to the runtime, which does not have it`)
    }
  }
  return { modules: included.size, problems }
}

// Comments may name Bun (ours explain where code runs); only code counts.
const withoutComments = (source: string) =>
  source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1')
