// The responder as a process of its own (ChildResponder, child.ts): runs a CapResponder in the network
// namespace it was started in. JSON lines on stdin: {"op":"set","announcements":[...]}, {"op":"close"};
// on stdout: {"ev":"ready"}, {"ev":"request"|"response"|"gratuitous","ip":...}, {"ev":"log",...},
// {"ev":"error","msg":...}. End of stdin (the parent went away) ends it too.
// Optional argument: --interfaces eth0,eth1 (default: discovery).
import { createInterface } from 'node:readline';
import type { Logger } from '../util/log.js';
import { CapResponder } from './responder.js';
import type { L2Announcement } from './types.js';

function out(obj: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function lineLogger(base: Record<string, unknown> = {}): Logger {
  const emit = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    const f: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(fields ?? {})) f[k] = v instanceof Error ? v.message : v;
    out({ ev: 'log', level, msg, fields: f });
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error'), child: (fields) => lineLogger({ ...base, ...fields }) };
}

function main(): void {
  const i = process.argv.indexOf('--interfaces');
  const only = i >= 0 ? (process.argv[i + 1] ?? '').split(',').filter((s) => s !== '') : null;
  const responder = new CapResponder({
    logger: lineLogger(),
    counters: {
      request: (ip) => out({ ev: 'request', ip }),
      response: (ip) => out({ ev: 'response', ip }),
      gratuitous: (ip) => out({ ev: 'gratuitous', ip }),
    },
    ...(only ? { interfaces: () => only } : {}),
  });
  let ending = false;
  const end = (code: number): void => {
    if (ending) return;
    ending = true;
    void responder.close().finally(() => process.exit(code));
  };
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (line.trim() === '') return;
    let msg: { op?: string; announcements?: L2Announcement[] };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      out({ ev: 'error', msg: `not JSON: ${line.slice(0, 200)}` });
      return;
    }
    try {
      if (msg.op === 'set') {
        responder.set(msg.announcements ?? []);
        out({ ev: 'applied', ips: responder.announced(), interfaces: responder.listening() });
      } else if (msg.op === 'close') end(0);
      else out({ ev: 'error', msg: `unknown op ${JSON.stringify(msg.op)}` });
    } catch (e) {
      out({ ev: 'error', msg: e instanceof Error ? e.message : String(e) });
    }
  });
  rl.on('close', () => end(0));
  process.on('SIGTERM', () => end(0));
  out({ ev: 'ready', pid: process.pid });
}

main();
