/** Creates one product and prints its id (used by `make bench-product`). */
import { connect } from '@flash-deal/db'
import { RdbProductRepository } from '../repository/rdb'

const sql = connect(
  process.env.DATABASE_URL ?? 'postgres://flashdeal:flashdeal@127.0.0.1:5432/flashdeal',
  { max: 1 },
)
const product = await new RdbProductRepository({ sql }).createProduct({
  name: 'Benchmark hot product',
  description: 'Read by make bench-product',
  price: 10_000,
  currency: 'USD',
})
console.log(product.id)
await sql.end()
