export const WEBKIT_DRIVER: string;
export const MINIBROWSER: string;
export function hasWebKit(): boolean;
export interface WebKitSession {
  /** WebKitGTK's version, e.g. "2.50.6". */
  version: string;
  goto(url: string): Promise<void>;
  /** The current window's handle. */
  window(): Promise<string>;
  /** Opens `url` in a new tab, makes it the current window and resolves to its handle. */
  openWindow(url: string): Promise<string>;
  switchTo(handle: string): Promise<void>;
  /** Runs `script` as WebDriver's "execute async script" (its last argument is the result callback). */
  execute<T = unknown>(script: string, ...args: unknown[]): Promise<T>;
  /** Runs `body` (a function body) in the page every 50 ms until it returns a value other than undefined; resolves to it. */
  until<T = unknown>(body: string, options?: { timeoutMs?: number }): Promise<T>;
  /** The window as a PNG. */
  screenshot(): Promise<Buffer>;
  close(): Promise<void>;
}
export function launchWebKit(options?: { timeoutMs?: number }): Promise<WebKitSession>;
