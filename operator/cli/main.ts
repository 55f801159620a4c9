// metalfrr command line: offline commands (validate, render, demo, lab) and server roles (webhook, frr-agent, speaker).
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { projectPath } from '../util/paths.js';
import { processIO, UsageError, type CommandIO } from './io.js';
import { VALIDATE_USAGE, parseValidateArgs, runValidate } from './validate.js';
import { WEBHOOK_USAGE, parseWebhookArgs, runWebhook } from './webhook.js';
import { DEMO_USAGE, runDemo } from './demo.js';
import { FRR_AGENT_USAGE, parseFRRAgentArgs, runFRRAgent } from './frr-agent.js';
import { LAB_USAGE, runLab } from './lab.js';
import { CONTROLLER_USAGE, parseControllerArgs, runController } from './controller.js';
import { RENDER_USAGE, parseRenderArgs, runRender } from './render.js';
import { SPEAKER_USAGE, parseSpeakerArgs, runSpeaker } from './speaker.js';
import { EXPLAIN_USAGE, parseExplainArgs, runExplain } from './explain.js';
import { OPERATOR_USAGE, parseOperatorArgs, runOperator } from './operator.js';

const USAGE = `usage: metalfrr <command> [options]

offline commands (no cluster needed):
  validate   check manifests with the API server, webhook and configuration rules
  render     print the frr.conf frr-k8s would write on a node
  explain    service NS/NAME: why a Service has no address or is not announced (files or --kubeconfig)
  demo       validate the bundled examples/ and show what they configure (npm start)
  lab        up | apply | status | exec | down: a local cluster with real FRR in network namespaces

roles:
  webhook    serve the validating admission webhooks over HTTPS
  frr-agent  the per-node frr-k8s daemon: FRRConfigurations -> frr.conf -> FRR
  speaker    the per-node MetalLB BGP speaker: Services -> FRRConfiguration metallb-<node>
  controller MetalLB's controller: IPs from IPAddressPools for LoadBalancer Services
  operator   deploys all of the above from the MetalLB CR, with webhook certificates

Run "metalfrr <command> --help" for a command's options.`;

interface Command {
  usage: string;
  options: NonNullable<Parameters<typeof parseArgs>[0]>['options'];
  run(values: Record<string, unknown>, positionals: string[], io: CommandIO): number | Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  validate: {
    usage: VALIDATE_USAGE,
    options: {
      backend: { type: 'string' },
      namespace: { type: 'string', short: 'n' },
      'frrk8s-namespace': { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
    },
    run: (v, p, io) => runValidate(parseValidateArgs(v, p), io),
  },
  render: {
    usage: RENDER_USAGE,
    options: {
      node: { type: 'string' },
      'node-labels': { type: 'string' },
      hostname: { type: 'string' },
      'log-level': { type: 'string' },
      'always-block': { type: 'string' },
      namespace: { type: 'string', short: 'n' },
      'no-host-ipv4': { type: 'boolean' },
      'timer-defaults': { type: 'string' },
      seq: { type: 'string' },
      'prefix-lists': { type: 'string' },
    },
    run: (v, p, io) => runRender(parseRenderArgs(v, p), io),
  },
  webhook: {
    usage: WEBHOOK_USAGE,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'tls-cert-file': { type: 'string' },
      'tls-private-key-file': { type: 'string' },
      kubeconfig: { type: 'string' },
      objects: { type: 'string' },
      namespace: { type: 'string', short: 'n' },
      backend: { type: 'string' },
    },
    run: (v, p, io) => runWebhook(parseWebhookArgs(v, p), io),
  },
  'frr-agent': {
    usage: FRR_AGENT_USAGE,
    options: {
      node: { type: 'string' },
      namespace: { type: 'string', short: 'n' },
      kubeconfig: { type: 'string' },
      hostname: { type: 'string' },
      'log-level': { type: 'string' },
      'always-block': { type: 'string' },
      'vty-socket': { type: 'string' },
      'config-dir': { type: 'string' },
      'apply-method': { type: 'string' },
      'health-port': { type: 'string' },
      'status-interval-ms': { type: 'string' },
      'route-map-delay-timer': { type: 'string' },
      'coalesce-time': { type: 'string' },
      'frr-metrics-prefix': { type: 'string' },
    },
    run: (v, p, io) => runFRRAgent(parseFRRAgentArgs(v, p), io),
  },
  lab: {
    usage: LAB_USAGE,
    options: { 'state-dir': { type: 'string' }, apply: { type: 'string', multiple: true }, prometheus: { type: 'boolean' }, 'prometheus-port': { type: 'string' } },
    run: (v, p, io) => runLab(v, p, io),
  },
  speaker: {
    usage: SPEAKER_USAGE,
    options: {
      node: { type: 'string' },
      namespace: { type: 'string', short: 'n' },
      'frrk8s-namespace': { type: 'string' },
      kubeconfig: { type: 'string' },
      'lb-class': { type: 'string' },
      'ignore-exclude-lb': { type: 'boolean' },
      'frrk8s-secret-passthrough': { type: 'boolean' },
      'health-port': { type: 'string' },
      'l2-responder': { type: 'string' },
      'lease-duration': { type: 'string' },
      'lease-renew-ms': { type: 'string' },
    },
    run: (v, p, io) => runSpeaker(parseSpeakerArgs(v, p), io),
  },
  controller: {
    usage: CONTROLLER_USAGE,
    options: {
      namespace: { type: 'string', short: 'n' },
      kubeconfig: { type: 'string' },
      'lb-class': { type: 'string' },
      'health-port': { type: 'string' },
      'leader-elect': { type: 'boolean' },
    },
    run: (v, p, io) => runController(parseControllerArgs(v, p), io),
  },
  operator: {
    usage: OPERATOR_USAGE,
    options: {
      namespace: { type: 'string', short: 'n' },
      image: { type: 'string' },
      'image-pull-policy': { type: 'string' },
      'frrk8s-external-namespace': { type: 'string' },
      kubeconfig: { type: 'string' },
      'health-port': { type: 'string' },
      'leader-elect': { type: 'boolean' },
      'cert-validity': { type: 'string' },
      'cert-renew-before': { type: 'string' },
      'ca-validity': { type: 'string' },
      'ca-renew-before': { type: 'string' },
    },
    run: (v, p, io) => runOperator(parseOperatorArgs(v, p), io),
  },
  explain: {
    usage: EXPLAIN_USAGE,
    options: {
      kubeconfig: { type: 'string' },
      namespace: { type: 'string', short: 'n' },
      'lb-class': { type: 'string' },
      'node-lb-class': { type: 'string' },
    },
    run: (v, p, io) => runExplain(parseExplainArgs(v, p), io),
  },
  demo: {
    usage: DEMO_USAGE,
    options: {},
    run: (_v, p, io) => runDemo(p, io),
  },
};

export async function main(argv: string[], io: CommandIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    io.out(JSON.parse(readFileSync(projectPath('package.json'), 'utf8')).version);
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.err(`metalfrr: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...cmd.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      io.out(cmd.usage);
      return 0;
    }
    return await cmd.run(values, positionals, io);
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`metalfrr ${name}: ${(e as Error).message}\n\n${cmd.usage}`);
      return 2;
    }
    throw e;
  }
}
