import { type QueriesFor, type Sql, untracedQueries } from '@flash-deal/db'
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
    async getProduct(id: string): Promise<Read<Product>> {
      return { value: await queriesFor().getProduct(sql, { id }), source: 'database' }
    },
    listProducts({ limit, after }: PageRequest) {
      return queriesFor().listProducts(sql, {
        limit,
        afterCreatedAt: after?.createdAt ?? null,
        afterId: after?.id ?? null,
      })
    },
    async createProduct(input: NewProduct) {
      const product = await queriesFor().createProduct(sql, input)
      if (!product) throw new Error('INSERT ... RETURNING returned no row')
      return product
    },
    updateProduct(id: string, patch: ProductPatch) {
      return queriesFor().updateProduct(sql, {
        id,
        name: patch.name ?? null,
        description: patch.description ?? null,
        price: patch.price ?? null,
        currency: patch.currency ?? null,
      })
    },
  }
}
