// Two logged-in browsers chat both ways; history survives a reload; HTML stays text.
import { test, expect, signup, createLive, client, say } from '../fixtures/app';
import type { Browser, Page } from '@playwright/test';
import type { Server } from '../fixtures/app';

async function loggedInPage(browser: Browser, server: Server, nickname: string): Promise<{ page: Page; token: string }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  // Signing up through the page's own request context stores its cookie.
  const { token } = await signup(page.request, server, nickname);
  return { page, token };
}

async function send(page: Page, text: string) {
  const input = page.getByTestId('chat-input');
  await input.fill(text);
  await input.press('Enter');
}

test('two viewers chat both ways, in order, and a reload keeps it', async ({ server, browser }) => {
  const { page: alice, token } = await loggedInPage(browser, server, 'alice');
  const live = await createLive(alice.request, server, token, 'Both ways');
  const { page: bob } = await loggedInPage(browser, server, 'bob');
  for (const p of [alice, bob]) {
    await p.goto(`${server.url}/live/${live}`);
    await expect(p.getByTestId('connection')).toHaveAttribute('data-state', 'connected');
  }
  await expect(alice.getByTestId('viewer-count')).toHaveText('2 watching');

  await send(alice, 'hi bob');
  await expect(bob.getByTestId('messages')).toContainText('alice: hi bob');
  await send(bob, 'hi alice');
  await expect(alice.getByTestId('messages')).toContainText('bob: hi alice');
  await expect(alice.getByTestId('chat-input')).toHaveValue('');

  // Each message once, in seq order, on both screens; nothing left pending.
  for (const p of [alice, bob]) {
    await expect(p.locator('.msg[data-seq]')).toHaveCount(2);
    await expect(p.locator('.msg[data-seq] .text')).toHaveText(['hi bob', 'hi alice']);
    await expect(p.getByTestId('pending')).toHaveCount(0);
  }

  await bob.reload();
  await expect(bob.locator('.msg[data-seq] .text')).toHaveText(['hi bob', 'hi alice']);
});

test('HTML and script payloads show as text', async ({ server, browser }) => {
  const { page, token } = await loggedInPage(browser, server, 'mallory');
  const live = await createLive(page.request, server, token, 'XSS');
  let dialogs = 0;
  page.on('dialog', (d) => { dialogs++; d.dismiss(); });
  await page.goto(`${server.url}/live/${live}`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'connected');
  const payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
  await send(page, payload);
  await expect(page.locator('.msg[data-seq] .text').last()).toHaveText(payload);
  await page.reload();
  await expect(page.locator('.msg[data-seq] .text').last()).toHaveText(payload);
  expect(await page.locator('.messages img, .messages script').count()).toBe(0);
  expect(dialogs).toBe(0);
});

test('the counter tracks length and over-long messages are refused in place', async ({ server, browser }) => {
  const { page, token } = await loggedInPage(browser, server, 'counter');
  const live = await createLive(page.request, server, token, 'Counter');
  await page.goto(`${server.url}/live/${live}`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'connected');
  const input = page.getByTestId('chat-input');
  await input.fill('hello');
  await expect(page.getByTestId('char-counter')).toHaveText('5/500');
  await input.fill('y'.repeat(501));
  await expect(page.getByTestId('char-counter')).toHaveText('501/500');
  await input.press('Enter');
  await expect(page.getByTestId('input-error')).toContainText('at most 500');
  await expect(page.locator('.msg[data-seq]')).toHaveCount(0);
});

test('scrolled up, new messages wait behind a button instead of yanking the view', async ({ server, browser }) => {
  const { page, token } = await loggedInPage(browser, server, 'reader');
  const live = await createLive(page.request, server, token, 'Busy');
  const bot = await client(server, token);
  for (let i = 1; i <= 40; i++) await say(bot, live, `filler ${i}`);
  await page.goto(`${server.url}/live/${live}`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'connected');
  const list = page.getByTestId('messages');
  // Stuck to the bottom: the newest is in view.
  await expect(page.locator('.msg[data-seq="40"]')).toBeInViewport();

  await list.evaluate((el) => el.scrollTo(0, 100));
  // Wait until the scroll has landed (and its event reached the panel) first.
  await expect(page.locator('.msg[data-seq="40"]')).not.toBeInViewport();
  await say(bot, live, 'while reading');
  await expect(page.getByTestId('new-messages')).toHaveText(/1 new message/);
  await expect(page.locator('.msg[data-seq="41"]')).not.toBeInViewport();

  await page.getByTestId('new-messages').click();
  await expect(page.locator('.msg[data-seq="41"]')).toBeInViewport();
  await expect(page.getByTestId('new-messages')).toHaveCount(0);
  bot.close();
});

test('a burst from another sender arrives whole and in order in the browser (batched delivery)', async ({ server, browser }) => {
  const { page, token } = await loggedInPage(browser, server, 'reader');
  const live = await createLive(page.request, server, token, 'Burst');
  await page.goto(`${server.url}/live/${live}`);
  await expect(page.getByTestId('viewer-count')).toHaveText('1 watching');
  const sender = await client(server, (await signup(page.request, server, 'burster')).token);
  const total = 80;
  const acks = await Promise.all(Array.from({ length: total }, (_, k) => say(sender, live, `burst ${k}`)));
  expect(acks.every((a) => a.ok)).toBe(true);
  await expect(page.locator('.msg[data-seq]')).toHaveCount(total);
  const seqs = await page.locator('.msg[data-seq]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))));
  expect(seqs).toEqual(Array.from({ length: total }, (_, k) => k + 1));
  sender.close();
});

test('Korean through an IME: the Enter that ends a composition does not send; the next one sends once', async ({ server, browser }) => {
  const { page, token } = await loggedInPage(browser, server, 'hangul');
  const live = await createLive(page.request, server, token, 'IME');
  await page.goto(`${server.url}/live/${live}`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'connected');
  const input = page.getByTestId('chat-input');
  await input.focus();
  // What Chromium fires while an IME composes: the Enter that picks the
  // candidate arrives with isComposing (keyCode 229), before compositionend.
  await input.evaluate((el: HTMLTextAreaElement) => {
    el.dispatchEvent(new CompositionEvent('compositionstart', { bubbles: true, data: '' }));
    el.value = '안녕하세요';
    el.dispatchEvent(new InputEvent('input', { bubbles: true, data: '안녕하세요', inputType: 'insertCompositionText', isComposing: true }));
    el.dispatchEvent(new KeyboardEvent('keydown', { bubbles: true, cancelable: true, key: 'Enter', keyCode: 229, isComposing: true }));
    el.dispatchEvent(new CompositionEvent('compositionend', { bubbles: true, data: '안녕하세요' }));
  });
  await expect(input).toHaveValue('안녕하세요');
  await expect(page.getByTestId('pending')).toHaveCount(0);
  await input.press('Enter');
  await expect(page.locator('.msg[data-seq] .text')).toHaveText(['안녕하세요']);
  await expect(input).toHaveValue('');
  const reader = await client(server);
  const page1 = await reader.timeout(5_000).emitWithAck('get_all_chat_by_liveId', { liveId: live });
  expect(page1.messages.map((m: { content: string }) => m.content)).toEqual(['안녕하세요']);
  reader.close();
});

test('length counts characters as the server does: Korean, emoji, combining marks, right-to-left', async ({ server, browser }) => {
  const { page, token } = await loggedInPage(browser, server, 'counted');
  const live = await createLive(page.request, server, token, 'Lengths');
  await page.goto(`${server.url}/live/${live}`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'connected');
  const input = page.getByTestId('chat-input');
  // Code points, like the server: 'e' + U+0301 is two, an emoji with a skin
  // tone is two, a Hebrew word is one per letter.
  const mixed = '한글 👍🏽 e\u0301 שלום';
  await input.fill(mixed);
  await expect(page.getByTestId('char-counter')).toHaveText(`${[...mixed].length}/500`);
  // 500 emoji are 500 characters (1,000 UTF-16 units): allowed, and stored.
  await input.fill('👍'.repeat(500));
  await expect(page.getByTestId('char-counter')).toHaveText('500/500');
  await input.press('Enter');
  await expect(page.locator('.msg[data-seq]')).toHaveCount(1);
  await input.fill('👍'.repeat(501));
  await expect(page.getByTestId('char-counter')).toHaveText('501/500');
  await input.press('Enter');
  await expect(page.getByTestId('input-error')).toContainText('at most 500');
  await expect(page.locator('.msg[data-seq]')).toHaveCount(1);
});
