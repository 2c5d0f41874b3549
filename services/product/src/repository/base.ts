/**
 * Strategy A: how product data is read and written, independent of whether a cache sits in
 * front of the database. `rdb.ts` talks to Postgres; `cached.ts` decorates any repository with
 * a Redis look-aside cache. main.ts picks one from ENABLE_CACHE and nothing else knows which.
 */

export interface Product {
  id: string
  name: string
  description: string
  /** Integer count of the currency's minor unit. */
  price: number
  currency: string
  createdAt: Date
  updatedAt: Date
}

export interface NewProduct {
  name: string
  description: string
  price: number
  currency: string
}

export type ProductPatch = Partial<NewProduct>

/** A read, with where the answer came from, so the API can say whether it was a cache hit. */
export interface Read<T> {
  value: T | null
  source: 'cache' | 'database'
}

export interface PageRequest {
  limit: number
  /** Keyset cursor: the last row of the previous page. */
  after?: { createdAt: Date; id: string }
}

export interface ProductRepository {
  getProduct(id: string): Promise<Read<Product>>
  listProducts(page: PageRequest): Promise<Product[]>
  createProduct(input: NewProduct): Promise<Product>
  /** Null when no product has this id. */
  updateProduct(id: string, patch: ProductPatch): Promise<Product | null>
}
