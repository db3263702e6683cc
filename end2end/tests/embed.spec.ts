// The chat without the stream: a pop-out window, other sites' iframes (only
// the origins in EMBED_ORIGINS may frame it), and a read-only overlay.
import { randomUUID } from 'node:crypto';
import { test as base, expect, signup, createLive, client, say, Server } from '../fixtures/app';
import { freePort } from '../fixtures/net';
import { createServer, Server as HttpServer } from 'node:http';
import type { Page } from '@playwright/test';

/** Another site: a real HTTP server on loopback whose page frames `src`. */
class Site {
  private src = '';
  private constructor(private readonly http: HttpServer, readonly origin: string) {
    http.on('request', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><title>parent</title><iframe id="chat" src="${this.src}" width="400" height="600"></iframe>`);
    });
  }
  static async start(): Promise<Site> {
    const port = await freePort();
    const http = createServer();
    await new Promise<void>((ok) => http.listen(port, '127.0.0.1', ok));
    return new Site(http, `http://localhost:${port}`);
  }
  /** Opens the site's page with the chat at `src` in its iframe, once the frame has loaded (or failed). */
  async open(page: Page, src: string) {
    this.src = src;
    const loaded = page.waitForEvent('framenavigated', (f) => f.parentFrame() !== null);
    await page.goto(`${this.origin}/`);
    await loaded;
  }
  close() {
    this.http.close();
  }
}

const test = base.extend<{ parent: Site; stranger: Site; embedding: Server }>({
  parent: async ({}, use) => {
    const site = await Site.start();
    await use(site);
    site.close();
  },
  stranger: async ({}, use) => {
    const site = await Site.start();
    await use(site);
    site.close();
  },
  embedding: async ({ parent }, use) => {
    const s = new Server(await freePort(), `${process.env.TEST_MONGODB_URI}/e2e${randomUUID().replace(/-/g, '')}`, {
      EMBED_ORIGINS: parent.origin,
    });
    await s.start();
    await use(s);
    await s.kill();
  },
});

test('an allowed site embeds the chat read-only for guests, with a way to log in and chat', async ({ parent: site, embedding, browser, request }) => {
  const { token } = await signup(request, embedding, 'embedded');
  const live = await createLive(request, embedding, token, 'Embedded');
  const bot = await client(embedding, token);
  await say(bot, live, 'hello iframe');

  const embed = await request.get(`${embedding.url}/embed/${live}/chat`);
  expect(embed.headers()['content-security-policy']).toContain(`frame-ancestors ${site.origin}`);
  const page = await request.get(`${embedding.url}/live/${live}/chat`);
  expect(page.headers()['content-security-policy']).toContain("frame-ancestors 'none'");

  const parent = await (await browser.newContext()).newPage();
  await site.open(parent, `${embedding.url}/embed/${live}/chat`);
  const frame = parent.frameLocator('#chat');
  await expect(frame.getByTestId('connection')).toHaveAttribute('data-state', 'connected');
  await expect(frame.getByTestId('messages')).toContainText('hello iframe');
  await say(bot, live, 'live into the iframe');
  await expect(frame.getByTestId('messages')).toContainText('live into the iframe');
  await expect(frame.getByTestId('chat-input')).toHaveCount(0);
  const login = frame.getByTestId('popout-login');
  await expect(login).toHaveAttribute('href', `/login?next=/live/${live}/chat`);
  await expect(login).toHaveAttribute('target', '_blank');
  const [popup] = await Promise.all([parent.waitForEvent('popup'), login.click()]);
  await expect(popup).toHaveURL(new RegExp(`/login\\?next=/live/${live}/chat$`));
  bot.close();
});

test('a site not in EMBED_ORIGINS cannot frame the chat', async ({ parent: site, stranger, embedding, browser, request }) => {
  const { token } = await signup(request, embedding, 'refuser');
  const live = await createLive(request, embedding, token, 'Not for you');
  const parent = await (await browser.newContext()).newPage();
  const refusals: string[] = [];
  parent.on('console', (m) => {
    if (/frame-ancestors/.test(m.text())) refusals.push(m.text());
  });
  await stranger.open(parent, `${embedding.url}/embed/${live}/chat`);
  const child = parent.frames().find((f) => f !== parent.mainFrame())!;
  await expect.poll(() => child.url()).toMatch(/^chrome-error:/);
  await expect(parent.frameLocator('#chat').getByTestId('chat')).toHaveCount(0);
  await expect.poll(() => refusals.length).toBeGreaterThan(0);
  expect(refusals[0]).toContain(`frame-ancestors ${site.origin}`);
  // The pages of the site itself may not be framed by anyone.
  refusals.length = 0;
  await site.open(parent, `${embedding.url}/live/${live}/chat`);
  const again = parent.frames().find((f) => f !== parent.mainFrame())!;
  await expect.poll(() => again.url()).toMatch(/^chrome-error:/);
  await expect.poll(() => refusals.length).toBeGreaterThan(0);
  expect(refusals[0]).toContain("frame-ancestors 'none'");
});

test('the pop-out button opens the chat alone, where a logged-in viewer chats', async ({ server, browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const { token } = await signup(page.request, server, 'popper');
  const live = await createLive(page.request, server, token, 'Pop out');
  await page.goto(`${server.url}/live/${live}`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'connected');
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.getByTestId('popout').click()]);
  await expect(popup).toHaveURL(`${server.url}/live/${live}/chat`);
  await expect(popup.getByTestId('connection')).toHaveAttribute('data-state', 'connected');
  await expect(popup.locator('video, .poster')).toHaveCount(0);
  const chatBox = await popup.getByTestId('chat').boundingBox();
  const viewport = popup.viewportSize()!;
  expect(chatBox!.height).toBeGreaterThan(viewport.height * 0.95);
  await popup.getByTestId('chat-input').fill('from the pop-out');
  await popup.getByTestId('chat-input').press('Enter');
  await expect(page.locator('.msg[data-seq] .text')).toHaveText(['from the pop-out']);
});

test('the overlay is transparent and read-only, even for a logged-in viewer', async ({ server, browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const { token } = await signup(page.request, server, 'overlayer');
  const live = await createLive(page.request, server, token, 'Overlay');
  const bot = await client(server, token);
  await page.goto(`${server.url}/embed/${live}/chat?overlay=1`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'connected');
  await say(bot, live, 'on stream');
  await expect(page.getByTestId('messages')).toContainText('on stream');
  await expect(page.getByTestId('chat-input')).toHaveCount(0);
  await expect(page.getByTestId('login-to-chat')).toHaveCount(0);
  const backgrounds = await page.evaluate(() => [document.documentElement, document.body, document.querySelector('.chat')!].map((e) => getComputedStyle(e).backgroundColor));
  expect(backgrounds).toEqual(['rgba(0, 0, 0, 0)', 'rgba(0, 0, 0, 0)', 'rgba(0, 0, 0, 0)']);
  bot.close();
});
