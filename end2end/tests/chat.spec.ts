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
  await expect(page.getByRole('alert')).toContainText('at most 500');
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
