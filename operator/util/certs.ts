// Certificates for webhook serving (tests, the lab, the operator's webhook certificate rotation).
// Keys come from Node's native crypto; node-forge builds and signs the X.509 certificates; reading
// certificates back (validity, names, issuer, key match) uses node:crypto's X509Certificate.
import { X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface CertBundle {
  caCert: string; // PEM
  caKey: string; // PEM
  cert: string; // PEM, signed by the CA
  key: string; // PEM
}

/** A certificate and its private key, both PEM. */
export interface KeyPairPEM {
  cert: string;
  key: string;
}

export interface CertOptions {
  /** DNS names of the serving certificate, e.g. metallb-webhook-service.metallb-system.svc */
  dnsNames: string[];
  ipAddresses?: string[];
  caCommonName?: string;
  organization?: string;
  caValidDays?: number;
  certValidDays?: number;
  now?: Date;
}

const DAY_MS = 86_400_000;
/** Certificates are valid from a minute before their creation (clock skew between nodes). */
export const CERT_BACKDATE_MS = 60_000;

function newKeyPair(): { pub: forge.pki.rsa.PublicKey; priv: forge.pki.rsa.PrivateKey; pem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const priv = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  const pub = forge.pki.setRsaPublicKey(priv.n, priv.e);
  return { pub, priv, pem };
}

/** forge writes CRLF line ends; PEM in Secrets and bundles uses LF */
const pemOf = (c: forge.pki.Certificate): string => forge.pki.certificateToPem(c).replace(/\r\n/g, '\n');

const serial = (): string => '01' + randomBytes(15).toString('hex');

/** An unsigned certificate for `pub` with a fresh serial, valid from a minute before `now` until `notAfter`. */
function newCertificate(pub: forge.pki.rsa.PublicKey, now: Date, notAfter: Date): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = pub;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(now.getTime() - CERT_BACKDATE_MS);
  cert.validity.notAfter = notAfter;
  return cert;
}

export interface CAOptions {
  commonName?: string;
  organization?: string;
  now?: Date;
  /** default 10 years */
  validityMs?: number;
}

/** Creates a self-signed CA. */
export function createCA(opts: CAOptions = {}): KeyPairPEM {
  const now = opts.now ?? new Date();
  const ca = newKeyPair();
  const caCert = newCertificate(ca.pub, now, new Date(now.getTime() + (opts.validityMs ?? 3650 * DAY_MS)));
  const subject = [
    { name: 'commonName', value: opts.commonName ?? 'metalfrr-ca' },
    { name: 'organizationName', value: opts.organization ?? 'metalfrr' },
  ];
  caCert.setSubject(subject);
  caCert.setIssuer(subject);
  caCert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  caCert.sign(ca.priv, forge.md.sha256.create());
  return { cert: pemOf(caCert), key: ca.pem };
}

/** The CA's subjectKeyIdentifier (binary string), or the one forge derives from its public key. */
function caKeyIdentifier(ca: forge.pki.Certificate): string {
  const ext = ca.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | undefined;
  return ext?.subjectKeyIdentifier ? forge.util.hexToBytes(ext.subjectKeyIdentifier) : ca.generateSubjectKeyIdentifier().getBytes();
}

export interface ServingCertOptions {
  dnsNames: string[];
  ipAddresses?: string[];
  organization?: string;
  now?: Date;
  /** default 1 year; the certificate never outlives its CA (notAfter is cut at the CA's) */
  validityMs?: number;
}

/** Issues a serving certificate (serverAuth, SAN dnsNames/ipAddresses) signed by an existing CA. */
export function issueServingCert(ca: KeyPairPEM, opts: ServingCertOptions): KeyPairPEM {
  const now = opts.now ?? new Date();
  const caCert = forge.pki.certificateFromPem(ca.cert);
  const caKey = forge.pki.privateKeyFromPem(ca.key);
  const wanted = now.getTime() + (opts.validityMs ?? 365 * DAY_MS);
  const notAfter = new Date(Math.min(wanted, caCert.validity.notAfter.getTime()));
  const leaf = newKeyPair();
  const cert = newCertificate(leaf.pub, now, notAfter);
  cert.setSubject([
    { name: 'commonName', value: opts.dnsNames[0] ?? opts.ipAddresses?.[0] ?? 'localhost' },
    { name: 'organizationName', value: opts.organization ?? 'metalfrr' },
  ]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    // names the signing CA's key: CAs of a bundle may share a subject name (a rotated CA), and OpenSSL
    // picks the issuer by name and key identifier, not by trying every signature
    { name: 'authorityKeyIdentifier', keyIdentifier: caKeyIdentifier(caCert) },
    {
      name: 'subjectAltName',
      altNames: [...opts.dnsNames.map((value) => ({ type: 2, value })), ...(opts.ipAddresses ?? []).map((ip) => ({ type: 7, ip }))],
    },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { cert: pemOf(cert), key: leaf.pem };
}

/** Creates a CA and a serving certificate signed by it. */
export function createServingCertificates(opts: CertOptions): CertBundle {
  const now = opts.now ?? new Date();
  const ca = createCA({ commonName: opts.caCommonName, organization: opts.organization, now, validityMs: (opts.caValidDays ?? 3650) * DAY_MS });
  const leaf = issueServingCert(ca, {
    dnsNames: opts.dnsNames,
    ipAddresses: opts.ipAddresses,
    organization: opts.organization,
    now,
    validityMs: (opts.certValidDays ?? 365) * DAY_MS,
  });
  return { caCert: ca.cert, caKey: ca.key, cert: leaf.cert, key: leaf.key };
}

// ------------------------------------------------------------------------------------ inspection

export interface CertInfo {
  notBefore: Date;
  notAfter: Date;
  /** DNS names of the subjectAltName extension */
  dnsNames: string[];
  /** IP addresses of the subjectAltName extension */
  ipAddresses: string[];
  /** hex, upper case, without leading zeros */
  serial: string;
  subject: string;
  issuer: string;
  isCA: boolean;
  /** SHA-256 fingerprint, as node:crypto prints it */
  fingerprint256: string;
}

/** Normalizes a hex serial number for comparisons ("01AB" and "1ab" are the same serial). */
export const normalizeSerial = (s: string): string => s.replace(/:/g, '').toUpperCase().replace(/^0+(?=.)/, '');

/** Splits a PEM text into its certificates (each ending with a newline); other blocks are skipped. */
export function splitPEMCertificates(pem: string): string[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map((m) => m[0] + '\n');
}

/** Parses the first certificate of a PEM text; throws when there is none or it is malformed. */
export function parseCert(pem: string | Buffer): X509Certificate {
  return new X509Certificate(pem);
}

/** Reads the facts of a PEM certificate. Throws when it does not parse. */
export function inspectCert(pem: string | Buffer | X509Certificate): CertInfo {
  const x = pem instanceof X509Certificate ? pem : parseCert(pem);
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  // "DNS:a, DNS:b, IP Address:1.2.3.4"; DNS names cannot hold ", " so splitting is safe for them
  for (const part of (x.subjectAltName ?? '').split(/,\s*/)) {
    const m = /^(DNS|IP Address):(.*)$/.exec(part.trim());
    if (!m) continue;
    if (m[1] === 'DNS') dnsNames.push(m[2]!.replace(/^"|"$/g, ''));
    else ipAddresses.push(m[2]!);
  }
  return {
    notBefore: new Date(x.validFrom),
    notAfter: new Date(x.validTo),
    dnsNames,
    ipAddresses,
    serial: normalizeSerial(x.serialNumber),
    subject: x.subject,
    issuer: x.issuer,
    isCA: x.ca,
    fingerprint256: x.fingerprint256,
  };
}

/** True when `cert` names `ca` as its issuer and carries a valid signature of `ca`'s key. Never throws. */
export function isSignedBy(cert: string | Buffer | X509Certificate, ca: string | Buffer | X509Certificate): boolean {
  try {
    const c = cert instanceof X509Certificate ? cert : parseCert(cert);
    const a = ca instanceof X509Certificate ? ca : parseCert(ca);
    return a.ca && c.checkIssued(a) && c.verify(a.publicKey);
  } catch {
    return false;
  }
}

/** True when the PEM private key belongs to the certificate. Never throws. */
export function keyMatchesCert(cert: string | Buffer | X509Certificate, key: string | Buffer): boolean {
  try {
    const c = cert instanceof X509Certificate ? cert : parseCert(cert);
    return c.checkPrivateKey(createPrivateKey(key));
  } catch {
    return false;
  }
}

/** True when `at` lies within the certificate's validity period. */
export function validAt(cert: string | Buffer | X509Certificate, at: Date): boolean {
  const i = inspectCert(cert);
  return i.notBefore.getTime() <= at.getTime() && at.getTime() <= i.notAfter.getTime();
}

/**
 * Whether a TLS client trusting exactly the CAs of `bundle` (PEM concatenation) accepts `cert` at
 * time `at` for the name `dnsName`: the certificate is valid then and carries the name, and some CA of
 * the bundle, itself valid then, signed it. (A time-aware check for tests and planners; real TLS
 * clients check against the wall clock.)
 */
export function verifiesAgainst(cert: string, bundle: string, at: Date, dnsName?: string): boolean {
  let c: X509Certificate;
  try {
    c = parseCert(cert);
  } catch {
    return false;
  }
  if (!validAt(c, at)) return false;
  if (dnsName !== undefined && !inspectCert(c).dnsNames.includes(dnsName)) return false;
  return splitPEMCertificates(bundle).some((ca) => {
    try {
      return validAt(ca, at) && isSignedBy(c, ca);
    } catch {
      return false;
    }
  });
}
