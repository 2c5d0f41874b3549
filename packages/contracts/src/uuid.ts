/**
 * A UUID as this system stores and compares it: lower case. Inputs of any case are accepted at
 * the edge and lowered there (the kit's `uuid` format), so everything past it matches this.
 */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export const isUuid = (value: string) => UUID_PATTERN.test(value)
