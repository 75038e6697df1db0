/** The emulator's /devicelogin page, answered as a person's browser would (Approve or Decline). */
import * as https from 'node:https';

export function answerDeviceLogin(page: string, ca: string, userCode: string, action: 'approve' | 'decline'): Promise<{ status: number; body: string }> {
  const body = new URLSearchParams({ user_code: userCode, action }).toString();
  return new Promise((resolve, reject) => {
    const req = https.request(
      page,
      {
        method: 'POST',
        ca,
        agent: false,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
