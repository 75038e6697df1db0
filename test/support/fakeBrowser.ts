/**
 * A stand-in for a person's browser, for the sign-in command's tests: `BROWSER="node fakeBrowser.js"`. It opens
 * the authorize URL (trusting the emulator through NODE_EXTRA_CA_CERTS), then delivers the answer to the
 * loopback redirect as a browser would: following a redirect, or submitting a form_post form.
 */
import * as http from 'node:http';
import * as https from 'node:https';

function fetchText(url: string, method = 'GET', body?: string): Promise<{ status: number; location?: string; text: string }> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      u,
      { method, headers: body ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } : {} },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function browse(url: string): Promise<void> {
  const page = await fetchText(url);
  if (page.location) {
    await fetchText(page.location);
    return;
  }
  const form = /<form[^>]*method="POST"[^>]*action="([^"]+)"/i.exec(page.text);
  if (!form) throw new Error(`no redirect or form in the sign-in page (HTTP ${page.status})`);
  const unescape = (v: string) =>
    v
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&amp;/g, '&');
  const fields = [...page.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)].map(([, k, v]): [string, string] => [
    unescape(k),
    unescape(v),
  ]);
  await fetchText(unescape(form[1]), 'POST', new URLSearchParams(fields).toString());
}

browse(process.argv[2]).catch((err: unknown) => {
  console.error(`fake browser: ${String(err)}`);
  process.exitCode = 1;
});
