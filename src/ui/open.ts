// Opens a URL in the user's browser when there is a display to show it on; otherwise (CI, SSH,
// containers) says where to go instead.
import { spawn } from 'node:child_process';

export function openInBrowser(url: string, say: (message: string) => void): void {
  const hasDisplay =
    process.platform === 'darwin' ||
    process.platform === 'win32' ||
    Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
  if (!hasDisplay || process.env.CI === 'true' || process.env.CI === '1') {
    say(`open ${url} (no display: not opening a browser)`);
    return;
  }
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => say(`open ${url} (${cmd} is not available)`));
  child.unref();
}
