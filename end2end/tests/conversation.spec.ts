// Conversation features in the browser: replies and jumping to the parent,
// @ completion and the highlight the mentioned user sees, emotes (picker and
// custom uploads), pins, ignore, links and /me.
import { resolve } from 'node:path';
import { test, expect, signup, createLive, client, say } from '../fixtures/app';
import type { Browser, Page } from '@playwright/test';
import type { Server } from '../fixtures/app';

const EMOTE_PNG = resolve(__dirname, '..', '..', 'server', 'tests', 'fixtures', 'emote.png');

async function loggedInPage(browser: Browser, server: Server, nickname: string): Promise<{ page: Page; token: string }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const { token } = await signup(page.request, server, nickname);
  return { page, token };
}

async function open(page: Page, server: Server, live: string) {
  await page.goto(`${server.url}/live/${live}`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'connected');
}

async function send(page: Page, text: string) {
  const input = page.getByTestId('chat-input');
  await input.fill(text);
  await input.press('Enter');
}

test('replying shows the parent above the reply, and clicking it jumps there (loading history)', async ({ server, browser }) => {
  const { page, token } = await loggedInPage(browser, server, 'replier');
  const live = await createLive(page.request, server, token, 'Replies');
  const bot = await client(server, token);
  const parent = await say(bot, live, 'the very first message');
  for (let i = 1; i <= 60; i++) await say(bot, live, `filler ${i}`);
  const reply = await bot.timeout(10_000).emitWithAck('new_message', {
    liveId: live, content: 'answering the first', clientId: 'reply-1', replyToId: parent.message.id,
  });
  expect(reply.ok).toBe(true);
  await open(page, server, live);

  // The parent (seq 1) is older than the 50 messages the page starts with.
  await expect(page.locator('.msg[data-seq="1"]')).toHaveCount(0);
  const ref = page.locator(`.msg[data-seq="${reply.message.seq}"]`).getByTestId('reply-ref');
  await expect(ref).toContainText('@replier');
  await expect(ref).toContainText('the very first message');
  await ref.click();
  const target = page.locator('.msg[data-seq="1"]');
  await expect(target).toBeInViewport();
  await expect(target).toBeFocused();

  // Replying from the panel: the composer says to whom; the reply shows it.
  await target.hover();
  await target.getByTestId('reply-button').click();
  await expect(page.getByTestId('replying')).toContainText('@replier');
  await send(page, 'me too');
  const mine = page.locator('.msg[data-seq]').last();
  await expect(mine.locator('.text')).toHaveText('me too');
  await expect(mine.getByTestId('reply-ref')).toContainText('the very first message');
  await expect(page.getByTestId('replying')).toHaveCount(0);
  bot.close();
});

test('typing @ offers recent chatters from the keyboard, and the mentioned user sees the highlight', async ({ server, browser }) => {
  const { page: alice, token } = await loggedInPage(browser, server, 'alice');
  const live = await createLive(alice.request, server, token, 'Mentions');
  const { page: bob } = await loggedInPage(browser, server, 'bobby');
  const { page: bea } = await loggedInPage(browser, server, 'bea');
  for (const p of [alice, bob, bea]) await open(p, server, live);
  await send(bob, 'hello from bob');
  await send(bea, 'hello from bea');
  await expect(alice.locator('.msg[data-seq]')).toHaveCount(2);

  const input = alice.getByTestId('chat-input');
  await input.fill('');
  await input.pressSequentially('hey @b');
  const list = alice.getByTestId('mention-list');
  // Newest chatter first.
  await expect(list.getByRole('option')).toHaveText(['@bea', '@bobby']);
  await input.press('ArrowDown');
  await expect(list.getByRole('option', { name: '@bobby' })).toHaveAttribute('aria-selected', 'true');
  await input.press('Tab');
  await expect(input).toHaveValue('hey @bobby ');
  await expect(list).toHaveCount(0);
  await input.pressSequentially('look @be');
  await input.press('Escape');
  await expect(list).toHaveCount(0);
  await expect(input).toHaveValue('hey @bobby look @be');
  await input.press('Enter');

  const onBob = bob.locator('.msg[data-seq]').last();
  await expect(onBob).toHaveClass(/mentioned/);
  await expect(onBob).toContainText('Mentions you');
  await expect(onBob.locator('.mention.me')).toHaveText('@bobby');
  // Bea is not mentioned ("@be" is no account): no highlight for her.
  const onBea = bea.locator('.msg[data-seq]').last();
  await expect(onBea.locator('.text')).toHaveText('hey @bobby look @be');
  await expect(onBea).not.toHaveClass(/mentioned/);
});

test('the streamer uploads an emote and everyone sees it; the picker works from the keyboard', async ({ server, browser }) => {
  const { page, token } = await loggedInPage(browser, server, 'streamer');
  const live = await createLive(page.request, server, token, 'Emotes');
  const { page: viewer } = await loggedInPage(browser, server, 'viewer');
  await open(page, server, live);
  await open(viewer, server, live);

  await page.getByTestId('moderation-toggle').click();
  await page.getByTestId('emote-code').fill('PogHype');
  await page.getByTestId('emote-file').setInputFiles(EMOTE_PNG);
  await page.getByTestId('emote-upload').getByRole('button', { name: 'Add emote' }).click();
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'connected');

  // The picker: search, Enter picks the first match.
  await page.getByTestId('emote-picker-toggle').click();
  await expect(page.getByTestId('emote-search')).toBeFocused();
  await page.getByTestId('emote-search').fill('pog');
  await expect(page.getByTestId('room-emote')).toHaveCount(1);
  await page.getByTestId('emote-search').press('Enter');
  await expect(page.getByTestId('chat-input')).toHaveValue(':PogHype: ');
  await expect(page.getByTestId('emote-picker')).toHaveCount(0);
  // A Unicode emoji by arrow keys: from the search into the grid, Enter picks.
  await page.getByTestId('emote-picker-toggle').click();
  await page.getByTestId('emote-search').fill('fire');
  await page.getByTestId('emote-search').press('ArrowRight');
  await expect(page.getByTestId('emoji').first()).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('chat-input')).toHaveValue(':PogHype: 🔥 ');
  await page.getByTestId('chat-input').press('Enter');

  const img = viewer.locator('.msg[data-seq]').last().getByTestId('emote');
  await expect(img).toHaveAttribute('alt', ':PogHype:');
  await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBe(32);
  await expect(viewer.locator('.msg[data-seq]').last().locator('.text')).toContainText('🔥');
});

test('a moderator pins a message, every viewer sees it, and it goes when its time is up', async ({ server, browser }) => {
  test.setTimeout(120_000);
  const { page: streamer, token } = await loggedInPage(browser, server, 'pinner');
  const live = await createLive(streamer.request, server, token, 'Pins');
  const { page: viewer } = await loggedInPage(browser, server, 'watcher');
  await open(streamer, server, live);
  await open(viewer, server, live);
  await send(streamer, 'Giveaway at nine!');
  const line = streamer.locator('.msg[data-seq]').last();
  await line.hover();
  await line.getByTestId('pin-select').selectOption('30');

  for (const p of [streamer, viewer]) {
    await expect(p.getByTestId('pinned')).toContainText('Giveaway at nine!');
    await expect(p.getByTestId('pinned')).toContainText('pinned by pinner');
  }
  // Someone arriving now sees it too.
  const late = await browser.newPage();
  await open(late, server, live);
  await expect(late.getByTestId('pinned')).toContainText('Giveaway at nine!');
  await expect(viewer.getByTestId('unpin')).toHaveCount(0);

  for (const p of [streamer, viewer, late]) {
    await expect(p.getByTestId('pinned')).toHaveCount(0, { timeout: 45_000 });
  }
});

test('ignoring a user hides their messages, and the choice is kept in the account', async ({ server, browser }) => {
  const { page: noisy, token } = await loggedInPage(browser, server, 'noisy');
  const live = await createLive(noisy.request, server, token, 'Ignore');
  const { page: me } = await loggedInPage(browser, server, 'calm');
  await open(noisy, server, live);
  await open(me, server, live);
  await send(noisy, 'spam spam spam');
  await send(me, 'hello');
  await expect(me.locator('.msg[data-seq]')).toHaveCount(2);

  await me.locator('.msg[data-seq]').first().getByTestId('nick').click();
  const card = me.getByTestId('user-card');
  await expect(card).toContainText('noisy');
  await expect(card.getByTestId('card-count')).toHaveText('1 message in this chat');
  await card.getByTestId('ignore-toggle').click();
  await expect(card.getByTestId('ignore-toggle')).toHaveText('Stop ignoring');
  await expect(me.locator('.msg[data-seq] .text')).toHaveText(['hello']);
  await send(noisy, 'more spam');
  await expect(noisy.locator('.msg[data-seq]')).toHaveCount(3);

  await me.reload();
  await expect(me.getByTestId('connection')).toHaveAttribute('data-state', 'connected');
  await expect(me.locator('.msg[data-seq] .text')).toHaveText(['hello']);
});

test('a link opens in a new tab with rel noopener noreferrer nofollow ugc; /me shows as an action', async ({ server, browser }) => {
  const { page, token } = await loggedInPage(browser, server, 'linker');
  const live = await createLive(page.request, server, token, 'Links');
  await open(page, server, live);
  const url = `${server.url}/healthz`;
  await send(page, `status at ${url}. javascript:alert(1)`);
  const link = page.locator('.msg[data-seq]').last().getByTestId('message-link');
  await expect(link).toHaveCount(1);
  await expect(link).toHaveAttribute('href', url);
  await expect(link).toHaveAttribute('target', '_blank');
  await expect(link).toHaveAttribute('rel', 'noopener noreferrer nofollow ugc');
  const [tab] = await Promise.all([page.context().waitForEvent('page'), link.click()]);
  await tab.waitForLoadState();
  expect(await tab.evaluate(() => window.opener)).toBeNull();
  expect(tab.url()).toBe(url);

  await send(page, '/me waves');
  const action = page.locator('.msg[data-seq]').last();
  await expect(action).toHaveClass(/action/);
  await expect(action).toContainText('linker waves');
});
