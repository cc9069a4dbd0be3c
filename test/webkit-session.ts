// One WebKitGTK session per describe block, for the suites that check JavaScriptCore
// (puppeteer does not drive WebKit: see packages/viewer/harness/webkit.mjs).

import { afterAll, beforeAll } from 'vitest';
import { launchWebKit, type WebKitSession } from '../packages/viewer/harness/webkit.mjs';

export { hasWebKit, type WebKitSession } from '../packages/viewer/harness/webkit.mjs';

/** Launches WebKitGTK before the block's tests and closes it after them; returns the session's getter. */
export function webKitSession(): () => WebKitSession {
  let session: WebKitSession | undefined;
  beforeAll(async () => {
    session = await launchWebKit();
  }, 60_000);
  afterAll(async () => {
    await session?.close();
  });
  return () => {
    if (!session) throw new Error('WebKitGTK did not start');
    return session;
  };
}
