import type { Browser } from 'puppeteer-core';
import type { InlineConfig, ViteDevServer, build as viteBuild, createServer as viteCreateServer } from 'vite';

export type { Browser, Page } from 'puppeteer-core';
export type { Logger } from 'vite';
export declare const build: typeof viteBuild;
export declare const createServer: typeof viteCreateServer;
export declare const PLUGIN_DIR: string;
export declare const DEMO_DIR: string;
export declare const CHROMIUM: string;
export declare const FIREFOX: string;
export declare function buildDemoWasm(): void;
export declare function startDevServer(root: string, inline?: InlineConfig): Promise<{ server: ViteDevServer; url: string; close(): Promise<void> }>;
export declare function serveStatic(dir: string): Promise<{ url: string; close(): Promise<void> }>;
export declare function launchChromium(): Promise<Browser>;
export declare function launchFirefox(): Promise<Browser>;
