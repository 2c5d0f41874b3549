import { type QueriesFor, type Sql, untracedQueries } from '@flash-deal/db'
import type { TraceContext } from '@flash-deal/kit'
import type {
  NewProduct,
  PageRequest,
  Product,
  ProductPatch,
  ProductRepository,
  Read,
} from './base'

/**
 * The plain strategy: every call is a Postgres statement from db/query.sql (a span under the
 * request's when `queriesFor` traces).
 */
export function rdbProductRepository(
  sql: Sql,
  queriesFor: QueriesFor = untracedQueries,
): ProductRepository {
  return {
    async getProduct(id: string, trace?: TraceContext): Promise<Read<Product>> {
      return { value: await queriesFor(trace).getProduct(sql, { id }), source: 'database' }
    },
    listProducts({ limit, after }: PageRequest, trace?: TraceContext) {
      return queriesFor(trace).listProducts(sql, {
        limit,
        afterCreatedAt: after?.createdAt ?? null,
        afterId: after?.id ?? null,
      })
    },
    async createProduct(input: NewProduct, trace?: TraceContext) {
      const product = await queriesFor(trace).createProduct(sql, input)
      if (!product) throw new Error('INSERT ... RETURNING returned no row')
      return product
    },
    updateProduct(id: string, patch: ProductPatch, trace?: TraceContext) {
      return queriesFor(trace).updateProduct(sql, {
        id,
        name: patch.name ?? null,
        description: patch.description ?? null,
        price: patch.price ?? null,
        currency: patch.currency ?? null,
      })
    },
  }
}
