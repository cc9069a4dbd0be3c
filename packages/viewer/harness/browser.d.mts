import type { Browser } from 'puppeteer-core';
export type { Browser, BrowserContext, ElementHandle, Page } from 'puppeteer-core';

export const VIEWER_DIR: string;
export const DIST_DIR: string;
export const CHROMIUM: string;
export const FIREFOX: string;
export function ensureViewerBuilt(): void;
export function serveViewer(mounts?: Record<string, string>): Promise<{ url: string; close(): Promise<void> }>;
export function launchChromium(options?: { width?: number; height?: number; args?: string[] }): Promise<Browser>;
export function launchFirefox(options?: { width?: number; height?: number; protocolTimeout?: number; prefs?: Record<string, unknown> }): Promise<Browser>;

export interface PuppeteerBrowser {
  name: 'Chromium' | 'Firefox';
  /** Its JavaScript and Wasm engine. */
  engine: string;
  executable: string;
  userAgent: RegExp;
  /** Before the name of each screenshot ('' for Chromium). */
  screenshotPrefix: string;
  /** Whether page.emulateMediaFeatures works (CDP only). */
  emulatesMedia: boolean;
  launch(options?: { width?: number; height?: number }): Promise<Browser>;
  /** A browser whose pages prefer the dark color scheme, where pages cannot emulate it. */
  launchDark?(options?: { width?: number; height?: number }): Promise<Browser>;
}
export const BROWSERS: PuppeteerBrowser[];
