import { queries, type Sql } from '@flash-deal/db'
import type {
  NewProduct,
  PageRequest,
  Product,
  ProductPatch,
  ProductRepository,
  Read,
} from './base'

/** The plain strategy: every call is a Postgres statement from db/query.sql. */
export function rdbProductRepository(sql: Sql): ProductRepository {
  return {
    async getProduct(id: string): Promise<Read<Product>> {
      return { value: await queries.getProduct(sql, { id }), source: 'database' }
    },
    listProducts({ limit, after }: PageRequest) {
      return queries.listProducts(sql, {
        limit,
        afterCreatedAt: after?.createdAt ?? null,
        afterId: after?.id ?? null,
      })
    },
    async createProduct(input: NewProduct) {
      const product = await queries.createProduct(sql, input)
      if (!product) throw new Error('INSERT ... RETURNING returned no row')
      return product
    },
    updateProduct(id: string, patch: ProductPatch) {
      return queries.updateProduct(sql, {
        id,
        name: patch.name ?? null,
        description: patch.description ?? null,
        price: patch.price ?? null,
        currency: patch.currency ?? null,
      })
    },
  }
}
