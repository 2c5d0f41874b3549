/**
 * The gateway's Swagger UI in a real headless browser (Debian's Chromium driven by
 * playwright-core): the page lists the whole public API as reached through the gateway, and a
 * newcomer can sign up, log in, authorize and buy from that one page — every step is a click on
 * "Try it out" / "Execute" and a read of the answer Swagger UI shows. Only the deal is made
 * beforehand, through the gateway, as the dev admin.
 *
 *   GATEWAY_URL=http://127.0.0.1:8080 ADMIN_EMAIL=... ADMIN_PASSWORD=... bun tests/system/browser/swagger-ui.ts
 *
 * `make test` runs it against its async stack (after tests/system/browser/install-chromium.sh).
 * Exits non-zero, naming the step, when anything is not as a user would need it.
 */
import { chromium, type Page } from 'playwright-core'

const gateway = process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080'
const admin = {
  email: process.env.ADMIN_EMAIL ?? 'admin@flash-deal.local',
  password: process.env.ADMIN_PASSWORD ?? 'change-me-admin-1',
}
const PUBLIC_PATHS = [
  'POST /v1/auth/signup',
  'POST /v1/auth/login',
  'POST /v1/auth/refresh',
  'POST /v1/auth/logout',
  'GET /v1/auth/me',
  'GET /v1/products',
  'POST /v1/products',
  'GET /v1/products/{id}',
  'PATCH /v1/products/{id}',
  'GET /v1/deals',
  'POST /v1/deals',
  'GET /v1/deals/{id}',
  'PATCH /v1/deals/{id}',
  'POST /v1/deals/{id}/purchase',
  'GET /v1/orders',
  'GET /v1/orders/{id}',
]

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message)
}

async function api(path: string, body: unknown, token?: string) {
  const response = await fetch(`${gateway}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  })
  const text = await response.text()
  check(response.ok, `setup ${path}: ${response.status} ${text}`)
  return JSON.parse(text)
}

/** A live deal, made as the dev admin through the gateway (the UI step is the purchase). */
async function liveDeal() {
  const { accessToken } = await api('/v1/auth/login', admin)
  const product = await api(
    '/v1/products',
    {
      name: 'Swagger UI check',
      description: 'made by the browser check',
      price: 1200,
      currency: 'EUR',
    },
    accessToken,
  )
  const deal = await api(
    '/v1/deals',
    {
      productId: product.id,
      price: 900,
      stock: 5,
      perUserLimit: 2,
      startsAt: new Date(Date.now() + 1500).toISOString(),
      endsAt: new Date(Date.now() + 3_600_000).toISOString(),
    },
    accessToken,
  )
  return deal.id as string
}

/** Expands an operation, presses "Try it out", lets `fill` set its inputs, executes it. */
async function execute(
  page: Page,
  method: string,
  path: string,
  fill: (operation: ReturnType<Page['locator']>) => Promise<void>,
) {
  const operation = page.locator(`.opblock-${method.toLowerCase()}`, {
    has: page.locator(`[data-path="${path}"]`),
  })
  check((await operation.count()) === 1, `${method} ${path}: not on the page exactly once`)
  await operation.locator('.opblock-summary').first().click()
  await operation.getByRole('button', { name: 'Try it out' }).click()
  await fill(operation)
  await operation.getByRole('button', { name: 'Execute' }).click()
  const live = operation.locator('.live-responses-table .response').first()
  await live.waitFor({ timeout: 15_000 })
  const status = Number(((await live.locator('.response-col_status').textContent()) ?? '').trim())
  const text = (
    (await live.locator('.response-col_description pre').first().textContent()) ?? ''
  ).trim()
  let body: Record<string, unknown> = {}
  try {
    body = JSON.parse(text)
  } catch {}
  return { status, body, text }
}

const body = (json: unknown) => async (operation: ReturnType<Page['locator']>) => {
  await operation.locator('textarea.body-param__text').fill(JSON.stringify(json))
}

const started = Date.now()
const dealId = await liveDeal()
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  // Chromium's sandbox needs user namespaces a root or container run may not have.
  args: ['--no-sandbox'],
})
try {
  const page = await browser.newPage()
  const response = await page.goto(`${gateway}/swagger`)
  check(response?.ok(), `GET /swagger: ${response?.status()}`)
  await page.locator('.opblock').first().waitFor({ timeout: 20_000 })

  // 1. The whole public API is listed, and nothing only an internal port serves.
  const listed = await page
    .locator('.opblock')
    .evaluateAll((blocks) =>
      blocks.map(
        (block) =>
          `${block.querySelector('.opblock-summary-method')?.textContent} ${block.querySelector('[data-path]')?.getAttribute('data-path')}`,
      ),
    )
  for (const wanted of PUBLIC_PATHS)
    check(
      listed.includes(wanted),
      `the page does not list ${wanted} (it lists: ${listed.join(', ')})`,
    )
  for (const internal of ['/reconciliation', '/metrics/cache'])
    check(!listed.some((op) => op.endsWith(` ${internal}`)), `the page lists internal ${internal}`)

  // 2. Sign up and log in with "Try it out".
  const email = `swagger-${Date.now().toString(36)}@example.test`
  const password = 'browser-check-password-1'
  const signup = await execute(page, 'POST', '/v1/auth/signup', body({ email, password }))
  check(signup.status === 201, `sign-up answered ${signup.status}: ${signup.text}`)
  const login = await execute(page, 'POST', '/v1/auth/login', body({ email, password }))
  check(login.status === 200, `login answered ${login.status}: ${login.text}`)
  const token = login.body.accessToken
  check(typeof token === 'string', `login showed no accessToken: ${login.text}`)

  // 3. Authorize: the bearer token goes into Swagger UI's dialog once, for every operation.
  await page.locator('.auth-wrapper .authorize').click()
  const dialog = page.locator('.modal-ux')
  await dialog.locator('input').first().fill(token)
  await dialog.locator('button.modal-btn.authorize').click()
  await dialog.locator('button.btn-done').click()

  // 4. Buy, then read the order at its Location, both from the page.
  while (Date.now() < started + 2000) await Bun.sleep(100) // the deal opens 1.5 s after creation
  const bought = await execute(page, 'POST', '/v1/deals/{id}/purchase', async (operation) => {
    await operation.locator('tr[data-param-name="id"] input').fill(dealId)
    await operation.locator('tr[data-param-name="Idempotency-Key"] input').fill('swagger-ui-1')
    await body({ quantity: 1 })(operation)
  })
  check(
    bought.status === 202 || bought.status === 201,
    `purchase answered ${bought.status}: ${bought.text}`,
  )
  const orderId = bought.body.orderId
  check(typeof orderId === 'string', `the purchase showed no orderId: ${bought.text}`)
  const order = await execute(page, 'GET', '/v1/orders/{id}', async (operation) => {
    await operation.locator('tr[data-param-name="id"] input').fill(orderId)
  })
  check(order.status === 200, `GET /v1/orders/{id} answered ${order.status}: ${order.text}`)
  check(
    ['pending', 'confirmed'].includes(order.body.status as string) && order.body.dealId === dealId,
    `the order read back is not this purchase: ${order.text}`,
  )
  console.log(
    `swagger-ui: ${PUBLIC_PATHS.length} public operations listed; signed up, logged in, authorized, bought (${bought.status}) and read order ${orderId} (${order.body.status}) from ${gateway}/swagger in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  )
} finally {
  await browser.close()
}
