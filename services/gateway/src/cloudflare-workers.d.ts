// The one workerd built-in module the Worker entry uses; bindings are the Worker's variables and
// secrets (text, in this project).
declare module 'cloudflare:workers' {
  export const env: Record<string, unknown>
}

// Bun imports TOML files as objects (test/wrangler.test.ts reads wrangler.toml).
declare module '*.toml' {
  const value: Record<string, unknown>
  export default value
}
