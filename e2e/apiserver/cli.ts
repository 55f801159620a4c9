// `npm run apiserver -- --port P [--host H] [--crds DIR]... [--kubeconfig-out FILE] [--history N]
//                      [--webhook-service NS/NAME=HOST:PORT]...`
// The command line of the test API server (main.ts runs it).
import { TestApiServer, type KubeObject } from './server.js';
import { loadManifests } from '../../operator/util/manifests.js';

const USAGE = `usage: npm run apiserver -- [--port P] [--host H] [--crds DIR|FILE]... [--kubeconfig-out FILE]
                             [--history N] [--bookmark-interval MS] [--webhook-service NS/NAME=HOST:PORT]...`;

interface Args {
  port: number;
  host: string;
  crds: string[];
  kubeconfigOut?: string;
  history?: number;
  bookmarkMs?: number;
  services: Map<string, { host: string; port: number }>;
}

export function parseArgs(argv: string[]): Args {
  const a: Args = { port: 0, host: '127.0.0.1', crds: [], services: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const int = (v: string): number => {
      if (!/^\d+$/.test(v)) throw new Error(`${flag}: not a number: ${v}`);
      return Number(v);
    };
    switch (flag) {
      case '--port':
        a.port = int(value());
        break;
      case '--host':
        a.host = value();
        break;
      case '--crds':
        a.crds.push(value());
        break;
      case '--kubeconfig-out':
        a.kubeconfigOut = value();
        break;
      case '--history':
        a.history = int(value());
        break;
      case '--bookmark-interval':
        a.bookmarkMs = int(value());
        break;
      case '--webhook-service': {
        const m = value().match(/^([^/]+)\/([^=]+)=(.+):(\d+)$/);
        if (!m) throw new Error(`--webhook-service wants NS/NAME=HOST:PORT`);
        a.services.set(`${m[1]}/${m[2]}`, { host: m[3]!, port: Number(m[4]) });
        break;
      }
      case '-h':
      case '--help':
        throw new Error(USAGE);
      default:
        throw new Error(`unknown argument ${flag}\n${USAGE}`);
    }
  }
  return a;
}

export async function runCli(argv: string[]): Promise<void> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
  const crds: KubeObject[] = [];
  if (args.crds.length > 0) {
    const { objects, errors } = loadManifests(args.crds);
    if (errors.length > 0) {
      process.stderr.write(errors.map((e) => `${e.file}: ${e.message}`).join('\n') + '\n');
      process.exit(2);
    }
    crds.push(...objects.map((o) => o.object).filter((o) => o.kind === 'CustomResourceDefinition'));
  }
  const server = new TestApiServer({
    crds,
    ...(args.history !== undefined ? { historySize: args.history } : {}),
    ...(args.bookmarkMs !== undefined ? { bookmarkIntervalMs: args.bookmarkMs } : {}),
    webhookServiceResolver: (svc) => args.services.get(`${svc.namespace}/${svc.name}`),
  });
  const { url } = await server.start(args.port, args.host);
  if (args.kubeconfigOut) server.writeKubeconfig(args.kubeconfigOut);
  process.stdout.write(`metalfrr test API server listening on ${url} (${crds.length} CRDs)${args.kubeconfigOut ? `; kubeconfig: ${args.kubeconfigOut}` : ''}\n`);
  const shutdown = (): void => {
    void server.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

