/** Samplers: the `OTEL_TRACES_SAMPLER` ones, and the one that pauses while the collector is down. */
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace'
import type { CollectorHealth } from './export-stats'
import type { Logger } from './logger'
import type { Env } from './telemetry-types'

/** `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` as the specification defines them. */
export function samplerFrom(env: Env, logger: Logger): Sampler {
  const name = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase() || 'parentbased_always_on'
  const ratio = Number(env.OTEL_TRACES_SAMPLER_ARG ?? 1)
  const ratioSampler = () =>
    new TraceIdRatioBasedSampler(Number.isFinite(ratio) && ratio >= 0 && ratio <= 1 ? ratio : 1)
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler()
    case 'always_off':
      return new AlwaysOffSampler()
    case 'traceidratio':
      return ratioSampler()
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() })
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratioSampler() })
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() })
    default:
      logger.warn('unknown OTEL_TRACES_SAMPLER; using parentbased_always_on', { sampler: name })
      return new ParentBasedSampler({ root: new AlwaysOnSampler() })
  }
}

/**
 * While exports fail, recording spans only to drop them still costs every request (ids,
 * attributes, the queue). So this sampler stops recording then — the context still travels,
 * marked not sampled, so downstream services skip the trace too — except for one probe trace a
 * second, whose export tells when the collector is back; then sampling resumes as configured.
 */
export function whileCollectorAnswers(inner: Sampler, collector: CollectorHealth): Sampler {
  let lastProbe = 0
  return {
    shouldSample(...args) {
      if (collector.failing) {
        const now = Date.now()
        if (now - lastProbe < 1000) return { decision: SamplingDecision.NOT_RECORD }
        lastProbe = now
      }
      return inner.shouldSample(...args)
    },
    toString: () => `WhileCollectorAnswers{${inner.toString()}}`,
  }
}
