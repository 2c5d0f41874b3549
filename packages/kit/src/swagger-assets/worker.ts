/**
 * Swagger UI's assets inside the bundle, for runtimes without a file system (workerd): the
 * `workerd` condition of `#swagger-assets` picks this module, so /swagger still needs no CDN.
 */
import css from 'swagger-ui-dist/swagger-ui.css' with { type: 'text' }
import bundle from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'text' }
import type { SwaggerAsset } from './bun'

export type { SwaggerAsset }

const assets: Record<SwaggerAsset, Blob> = {
  'swagger-ui.css': new Blob([css], { type: 'text/css;charset=utf-8' }),
  'swagger-ui-bundle.js': new Blob([bundle], { type: 'text/javascript;charset=utf-8' }),
}

export const swaggerAsset = (file: SwaggerAsset): Blob => assets[file]
