import { createApp } from '@humanwhocodes/upstash-redis-server'
import { upstashPort } from './src/redis/upstash'
import { luaScript } from './src/redis/port'
const s = Bun.serve({ port: 0, fetch: createApp({ token: 't', redisUrl: 'redis://127.0.0.1:6379' }).fetch })
const p = upstashPort({ url: `http://127.0.0.1:${s.port}`, token: 't' })
const sc = await luaScript('x', "return {'a', ARGV[1], 3}")
try { console.log(await p.run(sc, ['k'], ['v'])) } catch (e) { console.log('ERR', e) }
try { console.log(await p.run(sc, ['k'], ['v'])) } catch (e) { console.log('ERR', e) }
s.stop(true)
