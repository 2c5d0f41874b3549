/**
 * Swagger UI's assets read from the pinned swagger-ui-dist package on disk (Bun). The Worker
 * build resolves `#swagger-assets` to `./worker.ts` instead, which bundles them.
 */
export type SwaggerAsset = 'swagger-ui.css' | 'swagger-ui-bundle.js'

const directory = new URL('./', import.meta.resolve('swagger-ui-dist/package.json')).pathname

export const swaggerAsset = (file: SwaggerAsset): Blob => Bun.file(`${directory}${file}`)
