// Korean and English: chosen from the cookie the switcher sets, else
// Accept-Language, else English; the same in the server's HTML and after
// hydration; errors worded from their code; times in the viewer's zone.
import { test, expect, signup, createLive, client, say } from '../fixtures/app';
import type { Page } from '@playwright/test';

function hydrationErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || /hydrat/i.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

test('Accept-Language picks Korean in the server HTML and the hydrated page agrees', async ({ server, browser, request }) => {
  const { token } = await signup(request, server, 'streamer');
  const live = await createLive(request, server, token, '한국어 방송');

  // A guest's first visit: no cookie, only what the browser accepts.
  const html = await (await fetch(`${server.url}/live/${live}`, { headers: { 'accept-language': 'ko-KR,ko;q=0.9,en;q=0.5' } })).text();
  expect(html).toContain('<html lang="ko"');
  expect(html).toContain('로그인하고 채팅하기');
  const english = await (await fetch(`${server.url}/live/${live}`, { headers: { 'accept-language': 'fr-FR,de;q=0.8' } })).text();
  expect(english).toContain('<html lang="en"');
  expect(english).toContain('Log in to chat');

  const context = await browser.newContext({ locale: 'ko-KR' });
  const page = await context.newPage();
  const errors = hydrationErrors(page);
  await page.goto(`${server.url}/live/${live}`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'connected');
  await expect(page.locator('html')).toHaveAttribute('lang', 'ko');
  await expect(page.getByRole('heading', { name: '채팅' })).toBeVisible();
  await expect(page.getByTestId('connection')).toHaveText('연결됨');
  await expect(page.getByTestId('viewer-count')).toHaveText('1명 시청 중');
  await expect(page.getByTestId('language')).toHaveValue('ko');
  expect(errors).toEqual([]);
  await context.close();
});

test('the switcher changes every string at once and is remembered across reloads', async ({ server, browser }) => {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  const { token } = await signup(page.request, server, 'switcher');
  const live = await createLive(page.request, server, token, 'Languages');
  await page.goto(`${server.url}/live/${live}`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'connected');
  await expect(page.getByTestId('chat-input')).toHaveAttribute('placeholder', 'Send a message');

  await page.getByTestId('language').selectOption('ko');
  await expect(page.locator('html')).toHaveAttribute('lang', 'ko');
  await expect(page.getByTestId('chat-input')).toHaveAttribute('placeholder', '메시지 보내기');
  await expect(page.getByTestId('send')).toHaveText('채팅');
  await expect(page.getByRole('button', { name: '로그아웃' })).toBeVisible();

  // The server now renders Korean for this browser, whatever it accepts.
  const reloaded = await page.reload();
  expect(await reloaded!.text()).toContain('<html lang="ko"');
  await expect(page.getByTestId('connection')).toHaveText('연결됨');
  await page.goto(`${server.url}/`);
  await expect(page.getByRole('heading', { name: '지금 방송 중' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', '');

  await page.getByTestId('language').selectOption('en');
  await expect(page.getByRole('heading', { name: 'Live now' })).toBeVisible();
  const back = await page.reload();
  expect(await back!.text()).toContain('<html lang="en"');
  await context.close();
});

test('errors the server sends are worded in the viewer language from their code', async ({ server, browser }) => {
  const context = await browser.newContext({ locale: 'ko-KR', timezoneId: 'Asia/Seoul' });
  const page = await context.newPage();
  const streamer = await signup(page.request, server, 'host');
  const live = await createLive(page.request, server, streamer.token, '링크 금지');
  const host = await client(server, streamer.token);
  const set = await host.timeout(10_000).emitWithAck('update_room_settings', { liveId: live, links: 'none' });
  expect(set.ok).toBe(true);

  await signup(page.request, server, 'viewer');
  await page.goto(`${server.url}/live/${live}`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'connected');
  const input = page.getByTestId('chat-input');
  await input.fill('여기 보세요 https://example.com');
  await input.press('Enter');
  await expect(page.getByTestId('failed')).toContainText('이 채팅에서는 링크를 올릴 수 없어요.');
  await page.getByTestId('language').selectOption('en');
  await expect(page.getByTestId('failed')).toContainText('Links are not allowed in this chat.');

  // Times: the viewer's zone (Seoul, UTC+9) and language once hydrated.
  const sent = await say(host, live, '안녕하세요');
  expect(sent.ok).toBe(true);
  await page.getByTestId('language').selectOption('ko');
  const time = page.locator(`.msg[data-seq="${sent.message.seq}"] time`);
  const kst = new Date(Date.parse(sent.message.createdAt) + 9 * 3600_000);
  const hour12 = ((kst.getUTCHours() + 11) % 12) + 1;
  await expect(time).toHaveText(new RegExp(`^(오전|오후) 0?${hour12}:${String(kst.getUTCMinutes()).padStart(2, '0')}$`));
  host.close();
  await context.close();
});

test('Korean words are not broken inside, long strings still wrap', async ({ server, browser, request }) => {
  const { token } = await signup(request, server, 'wrapper');
  const live = await createLive(request, server, token, 'Wrapping');
  const bot = await client(server, token);
  const words = Array(30).fill('축하해요').join(' ');
  expect((await say(bot, live, words)).ok).toBe(true);
  expect((await say(bot, live, 'ㅋ'.repeat(300))).ok).toBe(true);
  const page = await (await browser.newContext({ viewport: { width: 360, height: 740 } })).newPage();
  await page.goto(`${server.url}/live/${live}`);
  const text = page.locator('.msg[data-seq="1"] .text');
  await expect(text).toBeVisible();
  // Every word sits on one line: a range over it has a single box.
  const splitWords = await text.evaluate((el) => {
    const node = el.firstChild!;
    const s = node.textContent!;
    let split = 0;
    for (let i = s.indexOf('축'); i >= 0; i = s.indexOf('축', i + 1)) {
      const r = document.createRange();
      r.setStart(node, i);
      r.setEnd(node, i + 4);
      const tops = new Set([...r.getClientRects()].map((b) => Math.round(b.top)));
      if (tops.size > 1) split++;
    }
    return split;
  });
  expect(splitWords).toBe(0);
  const lines = await text.evaluate((el) => el.getClientRects().length);
  expect(lines).toBeGreaterThan(1);
  // The unbroken string wraps inside the panel instead of overflowing it.
  const overflow = await page.locator('.msg[data-seq="2"]').evaluate((el) => el.scrollWidth - el.clientWidth);
  expect(overflow).toBeLessThanOrEqual(1);
  bot.close();
});
