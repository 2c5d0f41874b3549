/**
 * A worker's settings: the defaults (its config module's, the one place they are written) with
 * what was given over them; a setting given as undefined keeps its default.
 */
export function withDefaults<S extends object>(defaults: S, given: Partial<S>): S {
  const chosen = { ...defaults }
  for (const key of Object.keys(defaults) as (keyof S)[]) {
    const value = given[key]
    if (value !== undefined) chosen[key] = value
  }
  return chosen
}
