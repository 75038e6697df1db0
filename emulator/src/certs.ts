// A private CA and a server certificate it signs (localhost, 127.0.0.1, ::1), cached on disk between runs.
import { X509Certificate } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { generate } from 'selfsigned';

interface CertMaterial {
  caCertPem: string;
  caKeyPem: string;
  serverCertPem: string;
  serverKeyPem: string;
}

const DAY_MS = 24 * 3600 * 1000;
/** Reuse cached material only when it stays valid at least this long. */
const MIN_REMAINING_MS = 7 * DAY_MS;
const CACHE_FILE = 'material.json';

/** Where generated material is cached between runs. */
const CACHE_DIR = path.join(os.tmpdir(), 'pat-lifecycle-emulator-certs');

let inProcess: Promise<CertMaterial> | undefined;

/** Load cached material when it is still good, otherwise generate and cache it. */
export function loadOrCreateCerts(): Promise<CertMaterial> {
  if (!inProcess) {
    inProcess = (async () => {
      const cached = readCache(CACHE_DIR);
      if (cached) return cached;
      const fresh = await generateMaterial();
      writeCache(CACHE_DIR, fresh);
      return fresh;
    })();
    inProcess.catch(() => (inProcess = undefined));
  }
  return inProcess;
}

function isUsable(m: CertMaterial): boolean {
  try {
    const ca = new X509Certificate(m.caCertPem);
    const server = new X509Certificate(m.serverCertPem);
    const minEnd = Date.now() + MIN_REMAINING_MS;
    if (Date.parse(ca.validTo) < minEnd || Date.parse(server.validTo) < minEnd) return false;
    if (!ca.ca || !server.checkIssued(ca) || !server.verify(ca.publicKey)) return false;
    const san = server.subjectAltName ?? '';
    return san.includes('DNS:localhost') && san.includes('IP Address:127.0.0.1');
  } catch {
    return false;
  }
}

function readCache(dir: string): CertMaterial | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, CACHE_FILE), 'utf8')) as CertMaterial;
    return isUsable(m) ? m : undefined;
  } catch {
    return undefined;
  }
}

function writeCache(dir: string, m: CertMaterial): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = path.join(dir, `${CACHE_FILE}.${process.pid}.${Date.now()}.tmp`);
    fs.writeFileSync(tmp, JSON.stringify(m), { mode: 0o600 });
    fs.renameSync(tmp, path.join(dir, CACHE_FILE));
  } catch {
    // A cache we cannot write only costs speed.
  }
}

async function generateMaterial(): Promise<CertMaterial> {
  const now = Date.now();
  const ca = await generate([{ name: 'commonName', value: 'PAT Lifecycle Emulator Test CA' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - DAY_MS),
    notAfterDate: new Date(now + 730 * DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - DAY_MS),
    notAfterDate: new Date(now + 365 * DAY_MS),
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { caCertPem: ca.cert, caKeyPem: ca.private, serverCertPem: server.cert, serverKeyPem: server.private };
}
