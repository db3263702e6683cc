// Accessibility: axe-core finds no serious or critical WCAG A/AA problem on any
// page or in the chat's main states; the chat works by keyboard alone; a
// screen reader hears new messages as "nickname: text", as the viewer chose.
import { test, expect, signup, createLive, client, say } from '../fixtures/app';
import { expectAccessible } from '../fixtures/a11y';
import type { Page } from '@playwright/test';

async function connected(page: Page) {
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'connected');
}

test('every page and the chat main states pass axe (serious and critical)', async ({ server, browser, request }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  for (const path of ['/', '/login', '/signup', '/no-such-page']) {
    await page.goto(`${server.url}${path}`);
    await expectAccessible(page, `${path} (guest)`);
  }
  const streamer = await signup(page.request, server, 'streamer');
  const live = await createLive(page.request, server, streamer.token, 'Accessible live');
  const bot = await client(server, (await signup(request, server, 'chatty')).token);
  for (let i = 0; i < 5; i++) await say(bot, live, `message ${i} for @streamer https://example.com/${i}`);

  await page.goto(`${server.url}/`);
  await expectAccessible(page, '/ (logged in, one live)');
  await page.goto(`${server.url}/live/${live}`);
  await connected(page);
  await expectAccessible(page, 'live page, streamer');
  await page.getByTestId('moderation-toggle').click();
  await expect(page.getByTestId('moderation-panel')).toBeVisible();
  await expectAccessible(page, 'moderation panel open');
  await page.getByTestId('moderation-toggle').click();
  await page.locator('.msg[data-seq="1"]').getByTestId('nick').click();
  await expect(page.getByTestId('user-card')).toBeVisible();
  await expectAccessible(page, 'user card open');
  await page.getByTestId('close-card').click();
  await page.getByTestId('emote-picker-toggle').click();
  await expect(page.getByTestId('emote-picker')).toBeVisible();
  await expectAccessible(page, 'emote picker open');
  await page.keyboard.press('Escape');
  await page.getByTestId('chat-input').fill('x'.repeat(501));
  await page.getByTestId('chat-input').press('Enter');
  await expect(page.getByTestId('input-error')).toBeVisible();
  await expectAccessible(page, 'an error shown');

  const guest = await (await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'ko-KR' })).newPage();
  await guest.goto(`${server.url}/live/${live}`);
  await connected(guest);
  await expectAccessible(guest, 'live page, guest, 360 px, Korean');

  // An ended live reads as a transcript.
  const ended = await page.request.post(`${server.url}/api/lives/${live}/end`);
  expect(ended.ok()).toBe(true);
  await page.goto(`${server.url}/live/${live}`);
  await expect(page.getByTestId('transcript-messages').locator('.msg')).toHaveCount(5);
  await expectAccessible(page, 'ended live, transcript');
  await page.goto(`${server.url}/`);
  await expect(page.getByTestId('lives-ended')).toBeVisible();
  await expectAccessible(page, '/ with an ended live');
  bot.close();
});

test('a phone 360 px wide sees the chat input without scrolling past the video', async ({ server, browser }) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const { token } = await signup(page.request, server, 'phone');
  const live = await createLive(page.request, server, token, 'On a phone');
  await page.goto(`${server.url}/live/${live}`);
  await connected(page);
  await expect(page.getByTestId('chat-input')).toBeInViewport();
  await expect(page.getByTestId('send')).toBeInViewport();
  // Touch screens have no hover: a message's actions are shown outright.
  const bot = await client(server, token);
  await say(bot, live, 'tap me');
  await expect(page.locator('.msg[data-seq="1"]').getByTestId('reply-button')).toBeVisible();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(360);
  bot.close();
});

test('at 200% zoom (a 1280×720 window is 640×360 CSS pixels) nothing scrolls sideways and the chat works', async ({ server, browser }) => {
  const context = await browser.newContext({ viewport: { width: 640, height: 360 } });
  const page = await context.newPage();
  const { token } = await signup(page.request, server, 'zoomer');
  const live = await createLive(page.request, server, token, 'Zoomed in');
  const bot = await client(server, token);
  await say(bot, live, 'big text for everyone');
  await page.goto(`${server.url}/live/${live}`);
  await connected(page);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(640);
  const input = page.getByTestId('chat-input');
  await input.scrollIntoViewIfNeeded();
  await expect(input).toBeInViewport();
  await input.fill('still usable');
  await input.press('Enter');
  await expect(page.locator('.msg[data-seq="2"] .text')).toHaveText('still usable');
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(640);
  bot.close();
});

test('keyboard only: send, move through messages, reply, delete, Escape', async ({ server, browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const { token } = await signup(page.request, server, 'keys');
  const live = await createLive(page.request, server, token, 'Keyboard');
  const bot = await client(server, token);
  for (let i = 1; i <= 15; i++) await say(bot, live, `line ${i}`);
  await page.goto(`${server.url}/live/${live}`);
  await connected(page);

  // Tab from the top of the page reaches the list in a few stops (each
  // message's buttons are not stops of their own), then the message box.
  const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? document.activeElement?.tagName);
  let stops = 0;
  while ((await focused()) !== 'messages' && stops < 20) {
    await page.keyboard.press('Tab');
    stops++;
  }
  expect(await focused()).toBe('messages');
  const list = page.getByTestId('messages');
  await expect(list).toHaveAttribute('role', 'log');

  await page.keyboard.press('ArrowUp');
  await expect(page.locator('.msg[data-seq="15"]')).toBeFocused();
  await page.keyboard.press('ArrowUp');
  await expect(page.locator('.msg[data-seq="14"]')).toBeFocused();
  await page.keyboard.press('PageUp');
  await expect(page.locator('.msg[data-seq="4"]')).toBeFocused();
  await page.keyboard.press('Home');
  await expect(page.locator('.msg[data-seq="1"]')).toBeFocused();
  await page.keyboard.press('PageDown');
  await expect(page.locator('.msg[data-seq="11"]')).toBeFocused();
  await page.keyboard.press('End');
  await expect(page.locator('.msg[data-seq="15"]')).toBeFocused();

  // Inside the focused message: its name, then reply, then delete.
  await page.keyboard.press('ArrowUp');
  const target = page.locator('.msg[data-seq="14"]');
  await page.keyboard.press('Tab');
  await expect(target.getByTestId('nick')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(target.getByTestId('reply-button')).toBeFocused();
  await expect(target.getByTestId('reply-button')).toBeVisible();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('replying')).toContainText('line 14');
  await page.getByTestId('chat-input').focus();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('replying')).toHaveCount(0);
  await page.keyboard.press('ArrowUp'); // nothing to complete: stays in the box
  await expect(page.getByTestId('chat-input')).toBeFocused();

  // Reply for real, all by keyboard.
  await page.locator('.msg[data-seq="14"]').focus();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.getByTestId('chat-input').focus();
  await page.keyboard.type('answered by keyboard');
  await page.keyboard.press('Enter');
  const reply = page.locator('.msg[data-seq="16"]');
  await expect(reply.locator('.text')).toHaveText('answered by keyboard');
  await expect(reply.getByTestId('reply-ref')).toContainText('line 14');

  // Delete a message from the keyboard.
  const doomed = page.locator('.msg[data-seq="13"]');
  await doomed.focus();
  await page.keyboard.press('Tab'); // name
  await page.keyboard.press('Tab'); // reply
  await page.keyboard.press('Tab'); // delete
  await expect(doomed.getByTestId('delete-message')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('.msg[data-seq="13"]')).toHaveCount(0);

  // The user card opens from the keyboard and Escape closes it.
  await page.locator('.msg[data-seq="12"]').focus();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('user-card')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('user-card')).toHaveCount(0);
  bot.close();
});

test('a screen reader hears new messages once as "nickname: text", all, mentions only, or none', async ({ server, browser, request }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const me = await signup(page.request, server, 'listener');
  const live = await createLive(page.request, server, me.token, 'Announcements');
  const other = await signup(request, server, 'talker');
  const talker = await client(server, other.token);
  await say(talker, live, 'history is not read out');
  await page.goto(`${server.url}/live/${live}`);
  await connected(page);
  const announcer = page.getByTestId('announcer');
  await expect(announcer).toHaveAttribute('aria-live', 'polite');
  await expect(page.getByTestId('messages')).toHaveAttribute('aria-live', 'off');
  await expect(announcer).toHaveText('');

  await say(talker, live, 'hello everyone');
  await expect(announcer).toHaveText('talker: hello everyone');
  // The viewer's own messages are not read back.
  await page.getByTestId('chat-input').fill('my own words');
  await page.getByTestId('chat-input').press('Enter');
  await expect(page.locator('.msg[data-seq="3"] .text')).toHaveText('my own words');
  await expect(announcer).toHaveText('talker: hello everyone');

  await page.getByTestId('announce-mode').selectOption('mentions');
  await say(talker, live, 'not about you');
  await say(talker, live, 'hey @listener look');
  await expect(announcer).toHaveText('talker: hey @listener look');
  await expect(page.locator('.msg[data-seq="4"]')).toBeVisible();

  // Off: nothing is queued either, so turning it back on reads only what
  // comes after.
  await page.getByTestId('announce-mode').selectOption('off');
  await say(talker, live, 'again @listener');
  await expect(page.locator('.msg[data-seq="6"]')).toBeVisible();
  await expect(announcer).toHaveText('talker: hey @listener look');
  await page.getByTestId('announce-mode').selectOption('all');
  await say(talker, live, 'back on');
  await expect(announcer).toHaveText('talker: back on');
  await page.getByTestId('announce-mode').selectOption('off');
  // The choice is kept.
  await page.reload();
  await connected(page);
  await expect(page.getByTestId('announce-mode')).toHaveValue('off');

  // The character counter speaks only near the limit.
  await page.getByTestId('chat-input').fill('short');
  await expect(page.getByTestId('chars-left')).toHaveText('');
  await page.getByTestId('chat-input').fill('x'.repeat(455));
  await expect(page.getByTestId('chars-left')).toHaveText('45 characters left');
  talker.close();
});
