// The queues' wallboard in Debian Chromium: a caller waiting in a queue appears on the board and
// disappears when it hangs up (counted as abandoned), without the page being reloaded: the board
// follows the IPBX's live event WebSocket. A wrong token is refused with a message.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN_TOKEN } from '../helpers/ipbx-harness.ts';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/browser-phone.ts';
import { startQueueLab, until, type QueueLab } from '../helpers/queue-lab.ts';
import { mkdirSync } from 'node:fs';
import { SCREENSHOTS } from '../helpers/softphone-page.ts';

describe('queue wallboard', { timeout: 120_000 }, () => {
  let lab: QueueLab;
  let browser: Browser;
  before(async () => {
    lab = await startQueueLab({
      queues: [{ name: 'helpdesk', strategy: 'ringall', members: ['1001'], announce: { every: 0 } }],
      dialplan: [{ match: '3000', action: { type: 'queue', queue: 'helpdesk' } }],
      registered: ['1001', '2001'],
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await lab?.close();
  });

  async function open(token: string): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${lab.harness.apiBase}/wallboard/#token=${token}`);
    return page;
  }

  test('a waiting caller appears live and disappears when it hangs up', async () => {
    await lab.harness.api('/api/v1/queues/helpdesk/agents/1001/pause', { method: 'PUT', body: JSON.stringify({ paused: true, reason: 'training' }) });
    const page = await open(ADMIN_TOKEN);
    await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor({ timeout: 10_000 });
    await page.getByTestId('no-waiting-helpdesk').waitFor({ timeout: 10_000 });
    assert.equal(await page.getByTestId('member-status-helpdesk-1001').textContent(), 'paused (training)');
    // A mark in the page: it must survive the updates (no reload).
    await page.evaluate(() => {
      Object.assign(globalThis, { wallboardMark: 42 });
    });

    const caller = lab.phone('2001');
    const call = caller.call('3000');
    await until(() => call.state === 'connected', 'the caller waiting');
    const row = page.getByTestId('waiting-caller-2001');
    await row.waitFor({ timeout: 10_000 });
    assert.match((await row.textContent()) ?? '', /Phone 2001 \(2001\)/);
    assert.equal(await page.getByTestId('figure-helpdesk-waiting').locator('b').textContent(), '1');
    assert.ok(!await page.getByTestId('sign-in').isVisible(), 'no sign-in form when the link carries the token');
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}wallboard.png` });

    await caller.hangup(2000);
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    await page.getByTestId('figure-helpdesk-abandoned').locator('b').filter({ hasText: '1' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.evaluate(() => (globalThis as unknown as { wallboardMark?: number }).wallboardMark), 42, 'the page was not reloaded');
    await page.close();
  });

  test('a wrong token is refused with a message and the sign-in form', async () => {
    const page = await open('not-the-admin-token-xxxxxxxx');
    await page.getByTestId('sign-in-error').filter({ hasText: 'refused' }).waitFor({ timeout: 10_000 });
    assert.ok(await page.getByTestId('sign-in').isVisible());
    await page.close();
  });
});
