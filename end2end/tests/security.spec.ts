// A browser as the victim: a crafted login link cannot send it to another site,
// a planted ?error= message is never shown, and the pages run under their
// Content-Security-Policy without a single violation.
import { test, expect, signup, createLive } from '../fixtures/app';

test('a crafted login link cannot redirect the browser off the site', async ({ server, page, request }) => {
  await signup(request, server, 'victim');
  const origin = new URL(server.url).origin;
  // What a phisher would send: next=/<TAB>/evil.example (browsers drop the tab).
  for (const next of ['/\t/evil.example', '/\n/evil.example', '//evil.example', '/\\evil.example']) {
    await page.goto(`${server.url}/login?next=${encodeURIComponent(next)}`);
    await page.getByLabel('Nickname').fill('victim');
    await page.getByLabel('Password').fill('correct-horse');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByTestId('whoami')).toHaveText('victim');
    expect(new URL(page.url()).origin, `next=${JSON.stringify(next)}`).toBe(origin);
    expect(new URL(page.url()).pathname).toBe('/');
    await page.getByRole('button', { name: 'Log out' }).click();
    await expect(page.getByRole('link', { name: 'Log in' })).toBeVisible();
  }
});

test('a planted ?error= message is not shown', async ({ server, page }) => {
  await page.goto(`${server.url}/login?error=${encodeURIComponent('Your account is locked. Call 555-0100')}`);
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
  await expect(page.getByText('555-0100')).toHaveCount(0);
  await page.goto(`${server.url}/?error=${encodeURIComponent('Send your password to evil@example.com')}`);
  await expect(page.getByText('evil@example.com')).toHaveCount(0);
});

test('pages hydrate and chat under their Content-Security-Policy with no violation', async ({ server, page, request }) => {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  const streamer = await signup(request, server, 'csp');
  const live = await createLive(request, server, streamer.token, 'Policy');
  const response = await page.goto(`${server.url}/live/${live}`);
  expect(response!.headers()['content-security-policy']).toContain("'nonce-");
  await page.context().addCookies([{ name: 'access_token', value: streamer.token, url: server.url }]);
  await page.reload();
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'connected');
  await page.getByTestId('chat-input').fill('hello under CSP');
  await page.getByTestId('send').click();
  await expect(page.locator('.msg[data-seq] .text')).toHaveText(['hello under CSP']);
  await page.goto(`${server.url}/`);
  await page.goto(`${server.url}/no/such/page`);
  expect(violations).toEqual([]);
});
