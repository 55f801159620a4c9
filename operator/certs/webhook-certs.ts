// The webhook serving certificates, as a pure planner: given what the Secret holds now, what it should
// hold, which CAs the API server must trust (`caBundle`), and when to look again.
//
// Secret `metallb-webhook-cert` (decoded data):
//   ca.crt, ca.key     the current CA
//   tls.crt, tls.key   the serving certificate for <service>.<namespace>.svc, signed by the current CA
//   ca-bundle.crt      every CA the API server must trust: the current CA first, then previous CAs
//                      that have not expired yet
//
// Rotation without a window:
// - the serving certificate is renewed from the same CA `certRenewBeforeMs` before it expires; the
//   bundle does not change, so the old and the new certificate are both trusted all along;
// - the CA is renewed `caRenewBeforeMs` before it expires: a new CA, a new serving certificate signed
//   by it, and the previous CA stays in the bundle until it expires, so a webhook pod still serving the
//   previous certificate (the kubelet projects a changed Secret into the pod only after a while) stays
//   trusted; expired CAs drop out of the bundle;
// - missing, unreadable or inconsistent data (a certificate not for <service>.<namespace>.svc, a key
//   that does not belong to its certificate, a serving certificate not signed by the CA, an expired
//   CA or certificate) gets a fresh CA and certificate (unexpired CAs found in the old data stay in
//   the bundle).
//
// CONTRACT for the caller (the operator): when `changed`, first write `caBundle` (base64, see
// caBundleBase64) into every webhook of the ValidatingWebhookConfigurations and into the BGPPeer CRD's
// conversion webhook, and only AFTER those writes succeeded write `data` into the Secret. In that order
// the API server trusts the new CA before any webhook pod can serve a certificate signed by it. Then
// call the planner again at `nextCheck` (or when the Secret changes), with the Secret's data.
import {
  createCA,
  inspectCert,
  isSignedBy,
  issueServingCert,
  keyMatchesCert,
  parseCert,
  splitPEMCertificates,
  type CertInfo,
} from '../util/certs.js';

export const WEBHOOK_CERT_SECRET = 'metallb-webhook-cert';
export const WEBHOOK_SERVICE = 'metallb-webhook-service';
export const WEBHOOK_DEPLOYMENT = 'metallb-webhook-server';
/** Secret keys */
export const CA_CERT_KEY = 'ca.crt';
export const CA_KEY_KEY = 'ca.key';
export const TLS_CERT_KEY = 'tls.crt';
export const TLS_KEY_KEY = 'tls.key';
export const CA_BUNDLE_KEY = 'ca-bundle.crt';
const KEYS = [CA_CERT_KEY, CA_KEY_KEY, TLS_CERT_KEY, TLS_KEY_KEY, CA_BUNDLE_KEY] as const;

const DAY_MS = 86_400_000;
export const DEFAULT_CA_VALIDITY_MS = 3650 * DAY_MS;
export const DEFAULT_CERT_VALIDITY_MS = 365 * DAY_MS;
export const DEFAULT_CA_RENEW_BEFORE_MS = 365 * DAY_MS;
export const DEFAULT_CERT_RENEW_BEFORE_MS = 90 * DAY_MS;

export interface WebhookCertOptions {
  serviceName: string;
  namespace: string;
  now: Date;
  caValidityMs?: number;
  certValidityMs?: number;
  caRenewBeforeMs?: number;
  certRenewBeforeMs?: number;
  /** CA subject (defaults: commonName "metallb-webhook-ca@<unix time>", organization "metallb") */
  caCommonName?: string;
  organization?: string;
}

export interface WebhookCertPlan {
  /** the decoded Secret data to store: ca.crt, ca.key, tls.crt, tls.key, ca-bundle.crt (other keys of the Secret are not the planner's business) */
  data: Record<string, string>;
  /** PEM concatenation of every CA to trust (= data['ca-bundle.crt']) */
  caBundle: string;
  /** data differs from `current` */
  changed: boolean;
  /** why (or "certificates are valid" when nothing changed) */
  reason: string;
  /** when to plan again: the earliest renewal time of the CA and the certificate, or expiry of an old CA in the bundle */
  nextCheck: Date;
}

/** The DNS name the serving certificate must carry (what the API server uses as TLS server name). */
export const serviceDNSName = (serviceName: string, namespace: string): string => `${serviceName}.${namespace}.svc`;

/** The DNS names written into the serving certificate. */
export const serviceDNSNames = (serviceName: string, namespace: string): string[] => [
  serviceDNSName(serviceName, namespace),
  `${serviceName}.${namespace}.svc.cluster.local`,
  `${serviceName}.${namespace}`,
  serviceName,
];

/** The value of a webhook clientConfig.caBundle: base64 of the PEM bundle. */
export const caBundleBase64 = (bundle: string): string => Buffer.from(bundle, 'utf8').toString('base64');

/** Secret.data (base64 values) → decoded strings. */
export function decodeSecretData(data: Record<string, string> | undefined | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data ?? {})) if (typeof v === 'string') out[k] = Buffer.from(v, 'base64').toString('utf8');
  return out;
}

/** Decoded strings → Secret.data (base64 values). */
export function encodeSecretData(data: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) out[k] = Buffer.from(v, 'utf8').toString('base64');
  return out;
}

/** Sets clientConfig.caBundle (base64) on every webhook of a Validating/MutatingWebhookConfiguration; returns a copy. */
export function withWebhookCABundle<T extends { webhooks?: unknown[] }>(config: T, caBundleB64: string): T {
  const out = structuredClone(config);
  for (const w of (out.webhooks ?? []) as { clientConfig?: Record<string, unknown> }[]) {
    w.clientConfig = { ...(w.clientConfig ?? {}), caBundle: caBundleB64 };
  }
  return out;
}

/** Sets spec.conversion.webhook.clientConfig.caBundle (base64) of a CRD with a Webhook conversion; returns a copy (unchanged when the CRD converts otherwise). */
export function withConversionCABundle<T extends { spec?: unknown }>(crd: T, caBundleB64: string): T {
  const out = structuredClone(crd);
  const conv = (out.spec as { conversion?: { strategy?: string; webhook?: { clientConfig?: Record<string, unknown> } } } | undefined)?.conversion;
  if (!conv || conv.strategy !== 'Webhook') return out;
  conv.webhook = { ...(conv.webhook ?? {}), clientConfig: { ...(conv.webhook?.clientConfig ?? {}), caBundle: caBundleB64 } };
  return out;
}

interface Resolved {
  caValidityMs: number;
  certValidityMs: number;
  caRenewBeforeMs: number;
  certRenewBeforeMs: number;
}

function resolveOptions(o: WebhookCertOptions): Resolved {
  const r: Resolved = {
    caValidityMs: o.caValidityMs ?? DEFAULT_CA_VALIDITY_MS,
    certValidityMs: o.certValidityMs ?? DEFAULT_CERT_VALIDITY_MS,
    caRenewBeforeMs: o.caRenewBeforeMs ?? DEFAULT_CA_RENEW_BEFORE_MS,
    certRenewBeforeMs: o.certRenewBeforeMs ?? DEFAULT_CERT_RENEW_BEFORE_MS,
  };
  for (const [k, v] of Object.entries(r)) if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${k} must be a positive number of milliseconds, got ${v}`);
  if (r.caRenewBeforeMs >= r.caValidityMs) throw new RangeError('caRenewBeforeMs must be shorter than caValidityMs');
  if (r.certRenewBeforeMs >= r.certValidityMs) throw new RangeError('certRenewBeforeMs must be shorter than certValidityMs');
  // a certificate never outlives its CA; for a fresh certificate not to be due at once, the CA must
  // be renewed earlier than the certificate would be
  if (r.certRenewBeforeMs >= r.caRenewBeforeMs) throw new RangeError('certRenewBeforeMs must be shorter than caRenewBeforeMs');
  return r;
}

interface ParsedCA {
  pem: string;
  info: CertInfo;
}

/** The CA certificates of a PEM text that parse and are CAs (certificates with basicConstraints CA). */
function parseCAs(pem: string | undefined): ParsedCA[] {
  const out: ParsedCA[] = [];
  for (const c of splitPEMCertificates(pem ?? '')) {
    try {
      const info = inspectCert(c);
      if (info.isCA) out.push({ pem: c, info });
    } catch {
      // unreadable entries are dropped
    }
  }
  return out;
}

const unexpired = (ca: ParsedCA, now: Date): boolean => ca.info.notAfter.getTime() > now.getTime();

/** The bundle: `current` first, then the other unexpired CAs, newest first, without duplicates. */
function bundleOf(current: ParsedCA, others: ParsedCA[], now: Date): ParsedCA[] {
  const seen = new Set([current.info.fingerprint256]);
  const rest: ParsedCA[] = [];
  for (const ca of others) {
    if (seen.has(ca.info.fingerprint256) || !unexpired(ca, now)) continue;
    seen.add(ca.info.fingerprint256);
    rest.push(ca);
  }
  rest.sort((a, b) => b.info.notAfter.getTime() - a.info.notAfter.getTime());
  return [current, ...rest];
}

type Check = { ok: true; ca: ParsedCA; cert: CertInfo } | { ok: false; reason: string };

/** Whether the current CA and serving certificate are usable at all at `now`. */
function checkCurrent(cur: Record<string, string>, dnsName: string, now: Date): Check {
  const missing = [CA_CERT_KEY, CA_KEY_KEY, TLS_CERT_KEY, TLS_KEY_KEY].filter((k) => !cur[k]);
  if (missing.length > 0) return { ok: false, reason: `the Secret has no ${missing.join(', ')}` };
  let ca: ParsedCA;
  let cert: CertInfo;
  try {
    ca = { pem: splitPEMCertificates(cur[CA_CERT_KEY]!)[0] ?? cur[CA_CERT_KEY]!, info: inspectCert(cur[CA_CERT_KEY]!) };
  } catch (e) {
    return { ok: false, reason: `${CA_CERT_KEY} is not a certificate (${(e as Error).message})` };
  }
  try {
    cert = inspectCert(cur[TLS_CERT_KEY]!);
  } catch (e) {
    return { ok: false, reason: `${TLS_CERT_KEY} is not a certificate (${(e as Error).message})` };
  }
  if (!ca.info.isCA) return { ok: false, reason: `${CA_CERT_KEY} is not a CA certificate` };
  if (!keyMatchesCert(cur[CA_CERT_KEY]!, cur[CA_KEY_KEY]!)) return { ok: false, reason: `${CA_KEY_KEY} does not belong to ${CA_CERT_KEY}` };
  if (!keyMatchesCert(cur[TLS_CERT_KEY]!, cur[TLS_KEY_KEY]!)) return { ok: false, reason: `${TLS_KEY_KEY} does not belong to ${TLS_CERT_KEY}` };
  if (!isSignedBy(parseCert(cur[TLS_CERT_KEY]!), parseCert(cur[CA_CERT_KEY]!))) return { ok: false, reason: `${TLS_CERT_KEY} is not signed by ${CA_CERT_KEY}` };
  if (!cert.dnsNames.includes(dnsName)) return { ok: false, reason: `${TLS_CERT_KEY} is not for ${dnsName} (it names ${cert.dnsNames.join(', ') || 'no DNS name'})` };
  const t = now.getTime();
  if (t >= ca.info.notAfter.getTime() || t < ca.info.notBefore.getTime()) return { ok: false, reason: `the CA is not valid now (valid ${ca.info.notBefore.toISOString()} to ${ca.info.notAfter.toISOString()})` };
  if (t >= cert.notAfter.getTime() || t < cert.notBefore.getTime()) return { ok: false, reason: `the serving certificate is not valid now (valid ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()})` };
  return { ok: true, ca, cert };
}

/** Plans the webhook certificates; see the module header for the rules and the caller's contract. */
export function planWebhookCerts(current: Record<string, string> | undefined, opts: WebhookCertOptions): WebhookCertPlan {
  const o = resolveOptions(opts);
  const now = opts.now;
  const cur = current ?? {};
  const dnsName = serviceDNSName(opts.serviceName, opts.namespace);
  const newCA = (): { pem: string; key: string } => {
    // a distinct subject per CA (like client-go's "<name>-ca@<unix time>"), so rotated CAs are told apart by name too
    const ca = createCA({ commonName: opts.caCommonName ?? `metallb-webhook-ca@${Math.floor(now.getTime() / 1000)}`, organization: opts.organization ?? 'metallb', now, validityMs: o.caValidityMs });
    return { pem: ca.cert, key: ca.key };
  };
  const newCert = (ca: { pem: string; key: string }) =>
    issueServingCert({ cert: ca.pem, key: ca.key }, { dnsNames: serviceDNSNames(opts.serviceName, opts.namespace), organization: opts.organization ?? 'metallb', now, validityMs: o.certValidityMs });
  // every CA found in the old data (the bundle's and the current one); unexpired ones stay trusted
  const oldCAs = [...parseCAs(cur[CA_BUNDLE_KEY]), ...parseCAs(cur[CA_CERT_KEY])];

  let caPem: string;
  let caKey: string;
  let leaf: { cert: string; key: string };
  let reason: string;
  const check = checkCurrent(cur, dnsName, now);
  if (!check.ok) {
    const ca = newCA();
    caPem = ca.pem;
    caKey = ca.key;
    leaf = newCert(ca);
    reason = `new CA and serving certificate: ${check.reason}`;
  } else if (now.getTime() >= check.ca.info.notAfter.getTime() - o.caRenewBeforeMs) {
    const ca = newCA();
    caPem = ca.pem;
    caKey = ca.key;
    leaf = newCert(ca);
    reason = `CA rotated: it expires ${check.ca.info.notAfter.toISOString()}; the previous CA stays trusted until then`;
  } else if (now.getTime() >= check.cert.notAfter.getTime() - o.certRenewBeforeMs) {
    caPem = cur[CA_CERT_KEY]!;
    caKey = cur[CA_KEY_KEY]!;
    leaf = newCert({ pem: caPem, key: caKey });
    reason = `serving certificate renewed: it expires ${check.cert.notAfter.toISOString()}`;
  } else {
    caPem = cur[CA_CERT_KEY]!;
    caKey = cur[CA_KEY_KEY]!;
    leaf = { cert: cur[TLS_CERT_KEY]!, key: cur[TLS_KEY_KEY]! };
    reason = 'certificates are valid';
  }

  const caInfo = inspectCert(caPem);
  const bundle = bundleOf({ pem: splitPEMCertificates(caPem)[0] ?? caPem, info: caInfo }, oldCAs, now);
  const caBundle = bundle.map((c) => c.pem).join('');
  const data: Record<string, string> = {
    [CA_CERT_KEY]: caPem,
    [CA_KEY_KEY]: caKey,
    [TLS_CERT_KEY]: leaf.cert,
    [TLS_KEY_KEY]: leaf.key,
    [CA_BUNDLE_KEY]: caBundle,
  };
  const changed = KEYS.some((k) => cur[k] !== data[k]);
  if (changed && reason === 'certificates are valid') {
    const before = parseCAs(cur[CA_BUNDLE_KEY]);
    const dropped = before.filter((c) => !unexpired(c, now)).length;
    reason = cur[CA_BUNDLE_KEY] === undefined ? `${CA_BUNDLE_KEY} added` : dropped > 0 ? `${dropped} expired CA(s) dropped from the bundle` : `${CA_BUNDLE_KEY} rewritten`;
  }

  const certInfo = inspectCert(leaf.cert);
  const times = [caInfo.notAfter.getTime() - o.caRenewBeforeMs, certInfo.notAfter.getTime() - o.certRenewBeforeMs, ...bundle.slice(1).map((c) => c.info.notAfter.getTime())];
  return { data, caBundle, changed, reason, nextCheck: new Date(Math.min(...times)) };
}
