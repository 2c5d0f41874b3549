import { isCluster, keySlot, type Redis } from '@flash-deal/kit/redis'

/**
 * The outbox stream keys split into groups that one command may name together. On one Redis
 * node that is one group: every deal's stream in one XREADGROUP (or one MULTI). On a Redis
 * Cluster a command naming keys of two slots is refused (`CROSSSLOT`), even when one node owns
 * both, so each slot is its own group; a deal's keys share its `{id}` tag, so its stream is
 * never split. The groups keep the keys' order.
 */
export function slotGroups<T>(
  redis: Redis,
  items: readonly T[],
  keyOf: (item: T) => string,
): T[][] {
  if (!isCluster(redis)) return items.length > 0 ? [[...items]] : []
  const bySlot = new Map<number, T[]>()
  for (const item of items) {
    const slot = keySlot(keyOf(item))
    const group = bySlot.get(slot)
    if (group) group.push(item)
    else bySlot.set(slot, [item])
  }
  return [...bySlot.values()]
}
