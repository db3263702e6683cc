// Moderation as people see it: deletions vanish everywhere, banned users learn why.
import { test, expect, signup, createLive } from '../fixtures/app';
import type { Browser, Page } from '@playwright/test';
import type { Server } from '../fixtures/app';

async function member(browser: Browser, server: Server, nickname: string): Promise<{ page: Page; token: string }> {
  const page = await (await browser.newContext()).newPage();
  const { token } = await signup(page.request, server, nickname);
  return { page, token };
}

async function open(page: Page, server: Server, live: string) {
  await page.goto(`${server.url}/live/${live}`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'connected');
}

async function setup(browser: Browser, server: Server) {
  const streamer = await member(browser, server, 'streamer');
  const live = await createLive(streamer.page.request, server, streamer.token, 'Moderated');
  const mod = await member(browser, server, 'moddy');
  const res = await streamer.page.request.post(`${server.url}/api/lives/${live}/moderation/add_moderator`, {
    data: { nickname: 'moddy' },
    headers: { authorization: `Bearer ${streamer.token}` },
  });
  expect(res.status()).toBe(200);
  const viewer = await member(browser, server, 'viewer');
  for (const p of [mod.page, viewer.page]) await open(p, server, live);
  return { live, streamer, mod, viewer };
}

test('a moderator deletes a message and it vanishes from everyone\'s screen', async ({ server, browser }) => {
  const { live, mod, viewer } = await setup(browser, server);
  const guest = await browser.newPage();
  await open(guest, server, live);

  await viewer.page.getByTestId('chat-input').fill('please delete me');
  await viewer.page.getByTestId('chat-input').press('Enter');
  await viewer.page.getByTestId('chat-input').fill('keep me');
  await viewer.page.getByTestId('chat-input').press('Enter');
  for (const p of [guest, mod.page]) {
    await expect(p.locator('.msg[data-seq] .text')).toHaveText(['please delete me', 'keep me']);
  }
  // Viewers and guests get no moderation tools.
  await expect(guest.getByTestId('delete-message')).toHaveCount(0);
  await expect(viewer.page.getByTestId('ban-user')).toHaveCount(0);
  await expect(viewer.page.getByTestId('moderation-toggle')).toHaveCount(0);

  const row = mod.page.locator('.msg[data-seq]', { hasText: 'please delete me' });
  await row.hover();
  await row.getByTestId('delete-message').click();
  for (const p of [guest, viewer.page, mod.page]) {
    await expect(p.locator('.msg[data-seq] .text')).toHaveText(['keep me']);
  }
  await guest.reload();
  await expect(guest.locator('.msg[data-seq] .text')).toHaveText(['keep me']);
});

test('a banned user is told why they cannot send, and can still read', async ({ server, browser }) => {
  const { live, streamer, mod, viewer } = await setup(browser, server);
  await viewer.page.getByTestId('chat-input').fill('troll message');
  await viewer.page.getByTestId('chat-input').press('Enter');
  const row = mod.page.locator('.msg[data-seq]', { hasText: 'troll message' });
  await row.hover();
  await row.getByTestId('ban-user').click();
  // Banning removes the user's recent messages too.
  await expect(viewer.page.locator('.msg[data-seq]', { hasText: 'troll message' })).toHaveCount(0);

  await viewer.page.getByTestId('chat-input').fill('why?');
  await viewer.page.getByTestId('chat-input').press('Enter');
  await expect(viewer.page.getByTestId('failed')).toContainText('You are banned from this chat');

  await open(streamer.page, server, live);
  await streamer.page.getByTestId('chat-input').fill('rules are rules');
  await streamer.page.getByTestId('chat-input').press('Enter');
  await expect(viewer.page.locator('.msg[data-seq] .text')).toHaveText(['rules are rules']);
  await expect(viewer.page.locator('.role-badge.streamer')).toBeVisible();

  // The moderation panel lists the ban; unbanning lets them speak again.
  await mod.page.getByTestId('moderation-toggle').click();
  const bans = mod.page.getByTestId('bans');
  await expect(bans).toContainText('viewer');
  await bans.getByRole('button', { name: 'unban' }).click();
  await expect(bans).not.toContainText('viewer');
  await viewer.page.getByTestId('chat-input').fill('thanks');
  await viewer.page.getByTestId('chat-input').press('Enter');
  await expect(mod.page.locator('.msg[data-seq] .text').last()).toHaveText('thanks');
});

test('slow mode set from the panel shows a countdown to viewers', async ({ server, browser }) => {
  const { mod, viewer } = await setup(browser, server);
  await mod.page.getByTestId('moderation-toggle').click();
  await mod.page.getByTestId('slow-mode-select').selectOption('30');
  await expect(viewer.page.getByTestId('slow-mode')).toContainText('one message every 30 s');
  await viewer.page.getByTestId('chat-input').fill('first');
  await viewer.page.getByTestId('chat-input').press('Enter');
  await expect(viewer.page.getByTestId('slow-mode')).toContainText(/wait (2\d|30) s/);
  await viewer.page.getByTestId('chat-input').fill('second');
  await viewer.page.getByTestId('chat-input').press('Enter');
  await expect(viewer.page.getByTestId('failed')).toContainText('Slow mode is on');
});
