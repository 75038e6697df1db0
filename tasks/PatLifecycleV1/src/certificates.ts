/**
 * The agent's certificate settings, made usable by typed-rest-client without losing any trust.
 *
 * typed-rest-client passes the agent's CA file (`Agent.CAInfo`) to TLS as the `ca` option, and an explicit `ca`
 * replaces Node's built-in roots and `NODE_EXTRA_CA_CERTS`: a proxy's CA would then work but public hosts (or the CA
 * given through NODE_EXTRA_CA_CERTS) would not. So the task trusts the union: Node's roots, the NODE_EXTRA_CA_CERTS
 * file and Agent.CAInfo, written as one PEM file for typed-rest-client to read.
 *
 * Client certificate: the agent gives `Agent.ClientCert` and `Agent.ClientCertKey` (PEM files) together with
 * `Agent.ClientCertArchive` (the same as PFX) and `Agent.ClientCertPassword`. The PEM pair is used, with the password
 * as the key's passphrase; the PFX archive is not read (task-lib reports it only beside the PEM pair).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import type { CertSettings } from './http';

export interface AgentCertificates extends CertSettings {
  certArchiveFile?: string;
}

export interface PreparedCertificates {
  /** What typed-rest-client gets. */
  cert?: CertSettings;
  /** Problems with the client certificate settings, for a warning each. */
  problems: Array<'ClientCertNoKey' | 'ClientCertUnreadable'>;
  /** Removes the PEM file written for the run. */
  dispose(): void;
}

/** Throws when Agent.CAInfo names a file that cannot be read (a clear error beats an untrusted certificate later). */
export function prepareCertificates(agent: AgentCertificates | null | undefined, extraCaFile: string | undefined, tempDir: string): PreparedCertificates {
  const problems: PreparedCertificates['problems'] = [];
  let written: string | undefined;
  const dispose = (): void => {
    if (written) fs.rmSync(written, { force: true });
    written = undefined;
  };
  if (!agent) return { problems, dispose };
  const cert: CertSettings = {};
  if (agent.caFile) {
    const agentCa = fs.readFileSync(agent.caFile, 'utf8');
    const extra = extraCaFile && fs.existsSync(extraCaFile) ? fs.readFileSync(extraCaFile, 'utf8') : '';
    written = path.join(tempDir, `pat-lifecycle-ca-${process.pid}-${randomBytes(4).toString('hex')}.pem`);
    fs.writeFileSync(written, [...tls.rootCertificates, extra, agentCa].filter((pem) => pem.trim() !== '').join('\n'), { mode: 0o600 });
    cert.caFile = written;
  }
  if (agent.certFile) {
    if (!agent.keyFile) problems.push('ClientCertNoKey');
    else if (!readable(agent.certFile) || !readable(agent.keyFile)) problems.push('ClientCertUnreadable');
    else Object.assign(cert, { certFile: agent.certFile, keyFile: agent.keyFile, passphrase: agent.passphrase });
  }
  return { cert: Object.keys(cert).length > 0 ? cert : undefined, problems, dispose };
}

function readable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
