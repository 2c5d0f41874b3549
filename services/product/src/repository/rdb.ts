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
export class RdbProductRepository implements ProductRepository {
  private readonly sql: Sql
  private readonly queriesFor: QueriesFor

  constructor(options: { sql: Sql; queriesFor?: QueriesFor }) {
    this.sql = options.sql
    this.queriesFor = options.queriesFor ?? untracedQueries
  }

  async getProduct(id: string, trace?: TraceContext): Promise<Read<Product>> {
    return { value: await this.queriesFor(trace).getProduct(this.sql, { id }), source: 'database' }
  }

  listProducts({ limit, after }: PageRequest, trace?: TraceContext) {
    return this.queriesFor(trace).listProducts(this.sql, {
      limit,
      afterCreatedAt: after?.createdAt ?? null,
      afterId: after?.id ?? null,
    })
  }

  async createProduct(input: NewProduct, trace?: TraceContext) {
    const product = await this.queriesFor(trace).createProduct(this.sql, input)
    if (!product) throw new Error('INSERT ... RETURNING returned no row')
    return product
  }

  updateProduct(id: string, patch: ProductPatch, trace?: TraceContext) {
    return this.queriesFor(trace).updateProduct(this.sql, {
      id,
      name: patch.name ?? null,
      description: patch.description ?? null,
      price: patch.price ?? null,
      currency: patch.currency ?? null,
    })
  }
}
