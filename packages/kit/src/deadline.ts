/**
 * `promise`, or a rejection naming `what` once `ms` have passed without an answer. The work
 * itself is not cancelled (a promise cannot be): use it where waiting longer is the harm (a
 * readiness probe, a shutdown step).
 */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not answer in ${ms} ms`)), ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}
