// ChildResponder's side of the protocol against a stand-in program (no root, no pcap).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChildResponder } from './child.js';
import type { Logger } from '../util/log.js';

// Echoes what a responder-main would: ready, then per set: counters, a log line, applied.
const FAKE = `
const rl = require('readline').createInterface({ input: process.stdin });
const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
process.stderr.write('a stderr line\\n');
rl.on('line', (l) => {
  const m = JSON.parse(l);
  if (m.op === 'set') {
    for (const a of m.announcements) { out({ ev: 'request', ip: a.ip }); out({ ev: 'response', ip: a.ip }); out({ ev: 'gratuitous', ip: a.ip }); }
    out({ ev: 'log', level: 'warn', msg: 'hello', fields: { n: m.announcements.length } });
    console.log('not json');
    out({ ev: 'applied', ips: m.announcements.map((a) => a.ip), interfaces: ['eth0'] });
  } else if (m.op === 'close' && !process.env.STUBBORN) process.exit(0);
});
rl.on('close', () => { if (!process.env.STUBBORN) process.exit(0); });
process.on('SIGTERM', () => {});
if (process.env.STUBBORN) setInterval(() => {}, 1000);
out({ ev: 'ready', pid: process.pid });
`;

function recorder(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const l = (level: string) => (msg: string, f?: Record<string, unknown>) => void lines.push(`${level} ${msg} ${JSON.stringify(f ?? {})}`);
  const logger: Logger = { debug: l('debug'), info: l('info'), warn: l('warn'), error: l('error'), child: () => logger };
  return { logger, lines };
}

test('ChildResponder: ready, set() lines, counters and logs back, close() ends the child', async () => {
  const { logger, lines } = recorder();
  const counts: string[] = [];
  const c = new ChildResponder({
    program: [process.execPath, '-e', FAKE],
    logger,
    counters: { request: (ip) => counts.push(`req ${ip}`), response: (ip) => counts.push(`resp ${ip}`), gratuitous: (ip) => counts.push(`grat ${ip}`) },
  });
  await c.ready;
  const applied = new Promise((r) => c.once('applied', r));
  c.set([{ ip: '10.0.0.240', interfaces: [] }]);
  c.set([{ ip: '10.0.0.240', interfaces: [] }]); // identical: not sent again
  assert.deepEqual(await applied, { ev: 'applied', ips: ['10.0.0.240'], interfaces: ['eth0'] });
  assert.deepEqual(counts, ['req 10.0.0.240', 'resp 10.0.0.240', 'grat 10.0.0.240']);
  assert.ok(lines.includes('warn hello {"n":1}'), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('debug responder output') && l.includes('not json')));
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(lines.some((l) => l.startsWith('debug responder stderr') && l.includes('a stderr line')));
  await c.close();
  assert.deepEqual(await c.exited, { code: 0, signal: null });
  assert.ok(!lines.some((l) => l.startsWith('error')), 'a requested end is not an error');
  await c.close(); // idempotent
});

test('ChildResponder: a child that ignores close() is killed after the grace period; a crash is logged', async () => {
  const { logger, lines } = recorder();
  const d = new ChildResponder({ program: ['env', 'STUBBORN=1', process.execPath, '-e', FAKE], logger, closeGraceMs: 200 });
  await d.ready;
  const t0 = performance.now();
  await d.close();
  const ms = performance.now() - t0;
  assert.deepEqual(await d.exited, { code: null, signal: 'SIGKILL' });
  assert.ok(ms >= 190 && ms < 2000, `killed after the grace period (${ms.toFixed(0)} ms)`);
  const e = new ChildResponder({ program: [process.execPath, '-e', FAKE], logger });
  await e.ready;
  e.kill('SIGKILL');
  await e.exited;
  assert.ok(lines.some((l) => l.startsWith('error L2 responder process ended') && l.includes('SIGKILL')), lines.join('\n'));
  e.set([{ ip: '10.0.0.1', interfaces: [] }]);
  assert.ok(lines.some((l) => l.startsWith('warn L2 responder process is not running')));
  const f = new ChildResponder({ program: ['/nonexistent/program'], logger });
  await assert.rejects(f.ready, /ended before it was ready/);
});
