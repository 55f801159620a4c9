// Test helpers for talking to the webhook server over HTTPS.
import { request } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { normalizeSerial } from '../operator/util/certs.js';

/** Sends one HTTPS request to 127.0.0.1:port, trusting the given CA, and returns status and body. */
export function post(
  p: number,
  path: string,
  body: string,
  ca: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
  method = 'POST',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: p, path, method, ca, servername: 'localhost', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}


/**
 * The serial (hex, upper case, no leading zeros) of the certificate a TLS server presents, verified
 * against `ca` for `servername` (rejects when it does not verify).
 */
export function servedSerial(p: number, ca: string, servername = 'localhost'): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port: p, ca, servername }, () => {
      const serial = s.getPeerCertificate().serialNumber;
      s.end();
      resolve(normalizeSerial(serial));
    });
    s.on('error', reject);
  });
}
