/**
 * What more than one service agrees on and nothing else: the Redis key layout of a deal, the
 * Kafka topics and the `OrderAccepted` and `OrderReleased` events. Every producer and consumer imports these, so a
 * rename or a new field is one change that the compiler follows everywhere.
 */
export * from './deal-scripts'
export * from './deal-state'
export * from './order-accepted'
export * from './order-released'
export * from './order-scripts'
export * from './purchase'
export * from './topics'
export * from './uuid'
