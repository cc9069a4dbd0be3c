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
