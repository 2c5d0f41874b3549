/**
 * Signing keys. Access tokens are signed with an Ed25519 key (EdDSA); its public half, plus any
 * previous keys still inside a rollover, is published at /.well-known/jwks.json so every other
 * service verifies tokens without sharing a secret.
 *
 * Production passes the private JWK in JWT_SIGNING_KEY. In development the key is generated on
 * first start into JWT_KEY_DIR (git-ignored, file mode 0600) and reused after that.
 *
 * Rotation: make a new key, publish the old public key through JWT_PREVIOUS_KEYS and sign with
 * the new one; once the longest access-token lifetime has passed, drop the old key. In dev,
 * `bun services/auth/src/keys/rotate.ts` does this on disk.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from 'jose'

export const SIGNING_ALGORITHM = 'EdDSA'

export interface SigningKeys {
  kid: string
  privateKey: CryptoKey
  /** Every public key to publish: the current one first, then those still in a rollover. */
  jwks: { keys: JWK[] }
}

const publicPart = ({ d: _private, ...rest }: JWK): JWK => rest

export async function newSigningJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(SIGNING_ALGORITHM, {
    crv: 'Ed25519',
    extractable: true,
  })
  const jwk = await exportJWK(privateKey)
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: SIGNING_ALGORITHM, use: 'sig' }
}

export async function signingKeysFrom(current: JWK, previous: JWK[]): Promise<SigningKeys> {
  if (!current.d || !current.kid)
    throw new Error('the signing JWK needs a private part (d) and a kid')
  const privateKey = (await importJWK(current, SIGNING_ALGORITHM)) as CryptoKey
  const published = [current, ...previous].map((jwk) => ({
    ...publicPart(jwk),
    alg: jwk.alg ?? SIGNING_ALGORITHM,
    use: 'sig',
  }))
  return { kid: current.kid, privateKey, jwks: { keys: published } }
}

export const devKeyPaths = (dir: string) => ({
  current: join(dir, 'signing.jwk.json'),
  previous: join(dir, 'previous.jwks.json'),
})

/** Writes a key file readable by its owner only (chmod too: an existing file keeps its mode). */
export async function writePrivate(path: string, value: unknown): Promise<void> {
  await writeFile(path, JSON.stringify(value), { mode: 0o600 })
  await chmod(path, 0o600)
}

/** Reads the dev key from disk, generating it the first time. */
export async function loadDevKeys(dir: string): Promise<{ current: JWK; previous: JWK[] }> {
  const paths = devKeyPaths(dir)
  const currentFile = Bun.file(paths.current)
  if (!(await currentFile.exists())) {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    await writePrivate(paths.current, await newSigningJwk())
  }
  const previousFile = Bun.file(paths.previous)
  const previous = (await previousFile.exists()) ? ((await previousFile.json()) as JWK[]) : []
  return { current: (await Bun.file(paths.current).json()) as JWK, previous }
}

export async function loadSigningKeys(config: {
  JWT_SIGNING_KEY?: string
  JWT_PREVIOUS_KEYS: string
  JWT_KEY_DIR: string
}): Promise<SigningKeys> {
  const configuredPrevious = JSON.parse(config.JWT_PREVIOUS_KEYS) as JWK[]
  if (config.JWT_SIGNING_KEY) {
    return signingKeysFrom(JSON.parse(config.JWT_SIGNING_KEY) as JWK, configuredPrevious)
  }
  const dev = await loadDevKeys(config.JWT_KEY_DIR)
  return signingKeysFrom(dev.current, [...dev.previous, ...configuredPrevious])
}
