// Reloads the serving certificate of a TLS server when its files change, the way the kubelet updates
// a Secret volume: every file is a symlink into `..data`, and an update swaps the `..data` symlink to a
// new directory in one rename. The files are polled by content (not by mtime or inode, which symlink
// swaps and coarse timestamps make unreliable); a new pair is installed with setSecureContext only
// when the certificate parses and the key belongs to it, so a half-written update (a certificate
// without its key yet, a truncated file) keeps the previous certificate in service. setSecureContext
// applies to new TLS handshakes only: connections already open, and requests in flight on them, go on
// untouched, and no listener is closed.
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions, type Server as TLSServer } from 'node:tls';
import { inspectCert, keyMatchesCert } from '../operator/util/certs.js';
import { createLogger, type Logger } from '../operator/util/log.js';

export interface CertReloaderOptions {
  certFile: string;
  keyFile: string;
  /** polling interval, ms (default 1000) */
  intervalMs?: number;
  /** TLS options besides cert and key applied with every reload (default minVersion TLSv1.2) */
  tlsOptions?: SecureContextOptions;
  logger?: Logger;
  /** called after a new certificate was installed */
  onReload?: (info: { serial: string; notAfter: Date }) => void;
}

export type ReloadResult = 'unchanged' | 'reloaded' | 'inconsistent' | 'unreadable';

/** Reads a certificate/key pair and checks that it is usable; throws with the reason otherwise. */
export function loadCertPair(certFile: string, keyFile: string): { cert: string; key: string; serial: string; notAfter: Date } {
  const cert = readFileSync(certFile, 'utf8');
  const key = readFileSync(keyFile, 'utf8');
  let info;
  try {
    info = inspectCert(cert);
  } catch (e) {
    throw new Error(`${certFile} holds no readable certificate: ${(e as Error).message}`);
  }
  if (!keyMatchesCert(cert, key)) throw new Error(`the key in ${keyFile} does not belong to the certificate in ${certFile}`);
  return { cert, key, serial: info.serial, notAfter: info.notAfter };
}

export class CertReloader {
  private timer: NodeJS.Timeout | undefined;
  private applied: { cert: string; key: string } | undefined;
  private lastProblem: string | undefined;
  private readonly log: Logger;
  /** serial (hex, upper case) of the certificate the server presents to new connections */
  serial: string | undefined;

  constructor(
    private readonly server: TLSServer,
    private readonly opts: CertReloaderOptions,
  ) {
    this.log = opts.logger ?? createLogger('webhook');
  }

  /**
   * Starts polling. `initial` is the pair the server was created with (so a first check does not
   * reinstall it); without it, the first check installs whatever the files hold.
   */
  start(initial?: { cert: string | Buffer; key: string | Buffer }): this {
    if (initial) {
      this.applied = { cert: initial.cert.toString(), key: initial.key.toString() };
      try {
        this.serial = inspectCert(this.applied.cert).serial;
      } catch {
        this.serial = undefined;
      }
    }
    this.stop();
    this.timer = setInterval(() => this.check(), this.opts.intervalMs ?? 1000);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Looks at the files once; installs them when they changed and form a valid pair. */
  check(): ReloadResult {
    let cert: string;
    let key: string;
    try {
      cert = readFileSync(this.opts.certFile, 'utf8');
      key = readFileSync(this.opts.keyFile, 'utf8');
    } catch (e) {
      this.problem(`cannot read the certificate files, keeping the current certificate: ${(e as Error).message}`);
      return 'unreadable';
    }
    if (this.applied && this.applied.cert === cert && this.applied.key === key) {
      this.lastProblem = undefined;
      return 'unchanged';
    }
    let pair: ReturnType<typeof loadCertPair>;
    try {
      pair = loadCertPair(this.opts.certFile, this.opts.keyFile);
      if (pair.cert !== cert || pair.key !== key) return 'inconsistent'; // changed between the two reads: next time
      createSecureContext({ ...this.tlsOptions(), cert, key }); // OpenSSL's own checks, before touching the server
    } catch (e) {
      this.problem(`the new certificate is not usable (yet), keeping the current one: ${(e as Error).message}`);
      return 'inconsistent';
    }
    this.server.setSecureContext({ ...this.tlsOptions(), cert, key });
    this.applied = { cert, key };
    this.serial = pair.serial;
    this.lastProblem = undefined;
    this.log.info('reloaded TLS certificate', { certFile: this.opts.certFile, serial: pair.serial, notAfter: pair.notAfter.toISOString() });
    this.opts.onReload?.({ serial: pair.serial, notAfter: pair.notAfter });
    return 'reloaded';
  }

  private tlsOptions(): SecureContextOptions {
    return this.opts.tlsOptions ?? { minVersion: 'TLSv1.2' };
  }

  /** Logs a problem once until it changes (a half-written update is retried quietly). */
  private problem(msg: string): void {
    if (msg === this.lastProblem) return;
    this.lastProblem = msg;
    this.log.warn(msg, { certFile: this.opts.certFile, keyFile: this.opts.keyFile });
  }
}

/** Starts reloading `server`'s certificate from the files; returns the reloader (stop() it on shutdown). */
export function watchCertificates(server: TLSServer, opts: CertReloaderOptions, initial?: { cert: string | Buffer; key: string | Buffer }): CertReloader {
  return new CertReloader(server, opts).start(initial);
}
