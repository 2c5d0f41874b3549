/**
 * Dev key rotation: the current key's public half joins previous.jwks.json (still published, so
 * tokens it signed stay valid until they expire) and a new signing key takes its place.
 * Restart the auth service afterwards. Usage: bun services/auth/src/keys/rotate.ts [--drop-previous]
 */
import type { JWK } from 'jose'
import { devKeyPaths, loadDevKeys, newSigningJwk, writePrivate } from './key-store'

const dir = process.env.JWT_KEY_DIR ?? '.state/keys'
const { current, previous } = await loadDevKeys(dir)
const { d: _private, ...currentPublic } = current
const keep: JWK[] = process.argv.includes('--drop-previous') ? [] : [currentPublic, ...previous]
const next = await newSigningJwk()
const paths = devKeyPaths(dir)
await writePrivate(paths.previous, keep)
await writePrivate(paths.current, next)
console.log(
  `rotate: signing with ${next.kid}; still publishing ${keep.map((key) => key.kid).join(', ') || 'no previous key'}`,
)
