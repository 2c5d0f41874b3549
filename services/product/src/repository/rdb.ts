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
export class RdbProductRepository implements ProductRepository {
  private readonly sql: Sql
  private readonly queriesFor: QueriesFor

  constructor(options: { sql: Sql; queriesFor?: QueriesFor }) {
    this.sql = options.sql
    this.queriesFor = options.queriesFor ?? untracedQueries
  }

  async getProduct(id: string): Promise<Read<Product>> {
    return { value: await this.queriesFor().getProduct(this.sql, { id }), source: 'database' }
  }

  listProducts({ limit, after }: PageRequest) {
    return this.queriesFor().listProducts(this.sql, {
      limit,
      afterCreatedAt: after?.createdAt ?? null,
      afterId: after?.id ?? null,
    })
  }

  async createProduct(input: NewProduct) {
    const product = await this.queriesFor().createProduct(this.sql, input)
    if (!product) throw new Error('INSERT ... RETURNING returned no row')
    return product
  }

  updateProduct(id: string, patch: ProductPatch) {
    return this.queriesFor().updateProduct(this.sql, {
      id,
      name: patch.name ?? null,
      description: patch.description ?? null,
      price: patch.price ?? null,
      currency: patch.currency ?? null,
    })
  }
}
