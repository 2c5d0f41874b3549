/**
 * The calls of the deal scripts, pinned: each builder must produce the KEYS and ARGV of
 * lua/testdata/calls.json, the table the Go product service is tested against too
 * (lua/calls_test.go). Reordering or renaming an argument here fails both.
 */
import { expect, test } from 'bun:test'
import fixture from '../lua/testdata/calls.json'
import {
  type DealScriptCall,
  mirrorStockCall,
  OUTBOX_REGISTRY_KEY,
  publishDealCall,
  rescheduleDealCall,
  reserveCall,
  restoreDealCall,
} from '../src'

const deal = {
  ...fixture.deal,
  startsAt: new Date(fixture.deal.startsAt),
  endsAt: new Date(fixture.deal.endsAt),
}
const sent = (call: DealScriptCall<unknown>) => ({
  keys: [...call.keys],
  args: call.args.map(String),
})

test.each([
  ['publish-deal', publishDealCall(deal)],
  ['reschedule-deal', rescheduleDealCall(deal)],
  ['restore-deal', restoreDealCall(deal)],
  ['mirror-stock', mirrorStockCall(deal.dealId, fixture.mirrorRemaining)],
  ['reserve', reserveCall({ dealId: deal.dealId, ...fixture.purchase })],
] as const)('%s: KEYS and ARGV as the contract has them', (name, call) => {
  expect(call.script.name).toBe(name)
  expect(sent(call)).toEqual(fixture.calls[name])
})

test('the registry key', () => {
  expect(OUTBOX_REGISTRY_KEY).toBe(fixture.registry.key)
})
