/** Accepted purchases, keyed by deal id so one deal's orders stay in order on one partition. */
export const ORDERS_ACCEPTED = 'orders.accepted'
/** Records the consumer cannot apply (schema-invalid, unknown deal or user), with the reason. */
export const ORDERS_DLQ = 'orders.dlq'
/** Held orders expired or cancelled (their units back on sale), keyed by deal id. */
export const ORDERS_RELEASED = 'orders.released'
