// Self-signed certificates for webhook serving (tests, the lab, the operator's rotator).
// Keys come from Node's native crypto; node-forge builds and signs the X.509 certificates.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface CertBundle {
  caCert: string; // PEM
  caKey: string; // PEM
  cert: string; // PEM, signed by the CA
  key: string; // PEM
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

function newKeyPair(): { pub: forge.pki.rsa.PublicKey; priv: forge.pki.rsa.PrivateKey; pem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const priv = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  const pub = forge.pki.setRsaPublicKey(priv.n, priv.e);
  return { pub, priv, pem };
}

const serial = (): string => '01' + randomBytes(15).toString('hex');

/** An unsigned certificate for `pub` with a fresh serial, valid from a minute before `now` for `validDays` days. */
function newCertificate(pub: forge.pki.rsa.PublicKey, now: Date, validDays: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = pub;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + validDays * 86_400_000);
  return cert;
}

/** Creates a CA and a serving certificate signed by it. */
export function createServingCertificates(opts: CertOptions): CertBundle {
  const now = opts.now ?? new Date();
  const org = opts.organization ?? 'metalfrr';
  const ca = newKeyPair();
  const caCert = newCertificate(ca.pub, now, opts.caValidDays ?? 3650);
  const caSubject = [
    { name: 'commonName', value: opts.caCommonName ?? 'metalfrr-ca' },
    { name: 'organizationName', value: org },
  ];
  caCert.setSubject(caSubject);
  caCert.setIssuer(caSubject);
  caCert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  caCert.sign(ca.priv, forge.md.sha256.create());

  const leaf = newKeyPair();
  const cert = newCertificate(leaf.pub, now, opts.certValidDays ?? 365);
  cert.setSubject([
    { name: 'commonName', value: opts.dnsNames[0] ?? 'localhost' },
    { name: 'organizationName', value: org },
  ]);
  cert.setIssuer(caSubject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        ...opts.dnsNames.map((value) => ({ type: 2, value })),
        ...(opts.ipAddresses ?? []).map((ip) => ({ type: 7, ip })),
      ],
    },
  ]);
  cert.sign(ca.priv, forge.md.sha256.create());
  return {
    caCert: forge.pki.certificateToPem(caCert),
    caKey: ca.pem,
    cert: forge.pki.certificateToPem(cert),
    key: leaf.pem,
  };
}
