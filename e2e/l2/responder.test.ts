// The L2 responder with real frames: ChildResponders in node namespaces answer the client's kernel
// (ARP and NDP), hand over by gratuitous ARP / unsolicited NA, and go silent when killed.
// Needs root and the libpcap binding; runs in CI (fails there when they are missing), skips elsewhere.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { run } from '../../operator/util/exec.js';
import { capMissing } from '../../operator/l2/cap.js';
import { ChildResponder } from '../../operator/l2/child.js';
import type { Logger } from '../../operator/util/log.js';
import { Topology } from '../topology/topology.js';
import { waitFor } from '../topology/wait.js';

function l2Missing(): string | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not running as root (network namespaces and raw sockets need it)';
  if (!['/sbin/ip', '/usr/sbin/ip', '/bin/ip', '/usr/bin/ip'].some((p) => existsSync(p))) return 'iproute2 (ip) is missing';
  return capMissing();
}

const skip: string | false = process.env.CI === 'true' ? false : l2Missing() ? `needs root and libpcap: ${l2Missing()}` : false;

function requireL2(): void {
  const missing = l2Missing();
  if (missing) assert.fail(`this test needs root and the libpcap binding: ${missing}`);
}

interface Node {
  name: string;
  mac: string;
  responder: ChildResponder;
  events: { ev: string; ip: string; t: number }[];
  logs: string[];
}

function lineLogger(sink: string[]): Logger {
  const l = (level: string) => (msg: string, f?: Record<string, unknown>) => void sink.push(`${level} ${msg} ${JSON.stringify(f ?? {})}`);
  const logger: Logger = { debug: l('debug'), info: l('info'), warn: l('warn'), error: l('error'), child: () => logger };
  return logger;
}

async function macOf(topo: Topology, host: string): Promise<string> {
  const r = await run(['ip', '-n', topo.ns(host), '-j', 'link', 'show', 'eth0'], { check: true });
  return (JSON.parse(r.stdout) as { address: string }[])[0]!.address;
}

async function startNode(t: TestContext, topo: Topology, name: string): Promise<Node> {
  const events: Node['events'] = [];
  const logs: string[] = [];
  const count = (ev: string) => (ip: string) => void events.push({ ev, ip, t: performance.now() });
  const responder = new ChildResponder({
    command: ['ip', 'netns', 'exec', topo.ns(name)],
    logger: lineLogger(logs),
    counters: { request: count('request'), response: count('response'), gratuitous: count('gratuitous') },
  });
  t.after(() => responder.close());
  await responder.ready;
  return { name, mac: await macOf(topo, name), responder, events, logs };
}

const wallNow = (): number => performance.timeOrigin + performance.now();

/**
 * Makes the client's kernel resolve `ip` (a UDP datagram to the discard port; there is no ping here);
 * returns when (wall clock, ms) the datagram was handed to the kernel.
 */
async function poke(topo: Topology, ip: string): Promise<number> {
  const fam = ip.includes(':') ? 'udp6' : 'udp4';
  const js = `const d=require('dgram').createSocket('${fam}');const t=performance.timeOrigin+performance.now();d.send('x',9,'${ip}',()=>{console.log(t);d.close()});`;
  const r = await run(['ip', 'netns', 'exec', topo.ns('client'), process.execPath, '-e', js], { check: true, timeoutMs: 10_000 });
  return Number(r.stdout.trim());
}

interface Neigh {
  lladdr?: string;
  state: string[];
}

async function neigh(topo: Topology, ip: string): Promise<Neigh | null> {
  const r = await run(['ip', '-n', topo.ns('client'), '-j', ...(ip.includes(':') ? ['-6'] : []), 'neigh', 'show', ip, 'dev', 'eth0'], { check: true });
  const list = JSON.parse(r.stdout || '[]') as Neigh[];
  return list[0] ?? null;
}

async function flush(topo: Topology, ip: string): Promise<void> {
  await run(['ip', '-n', topo.ns('client'), ...(ip.includes(':') ? ['-6'] : []), 'neigh', 'flush', 'to', ip, 'dev', 'eth0'], { check: true });
}

/**
 * Resolves `ip` from the client; returns the MAC its kernel learnt and the ms from the datagram's
 * send to the first poll that saw the entry (an upper bound: one `ip neigh` poll costs a few ms).
 */
async function resolve(topo: Topology, ip: string): Promise<{ mac: string; ms: number }> {
  await flush(topo, ip);
  const sent = await poke(topo, ip);
  const n = await waitFor(async () => {
    const e = await neigh(topo, ip);
    return e?.lladdr && !e.state.includes('INCOMPLETE') ? e : null;
  }, { timeoutMs: 5000, intervalMs: 2, what: `the client's neighbour entry for ${ip}` });
  return { mac: n.lladdr!, ms: wallNow() - sent };
}

/** The client must not learn `ip` within `ms` after a fresh probe. */
async function unanswered(topo: Topology, ip: string, ms: number): Promise<void> {
  await flush(topo, ip);
  await poke(topo, ip);
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const e = await neigh(topo, ip);
    assert.equal(e?.lladdr, undefined, `${ip} was answered: ${JSON.stringify(e)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** set() on `from` (withdraw) and `to` (announce), then polls the client's entry until it names `to`. */
async function move(topo: Topology, ip: string, from: Node, to: Node, toSet: { ip: string; interfaces: string[] }[], fromSet: { ip: string; interfaces: string[] }[]): Promise<number> {
  const t0 = performance.now();
  from.responder.set(fromSet);
  to.responder.set(toSet);
  await waitFor(async () => (await neigh(topo, ip))?.lladdr === to.mac, { timeoutMs: 5000, intervalMs: 3, what: `${ip} → ${to.name}'s MAC ${to.mac}` });
  return performance.now() - t0;
}

const count = (n: Node, ev: string, ip: string): number => n.events.filter((e) => e.ev === ev && e.ip === ip).length;

test('ARP: answered by the owner only, handed over by gratuitous ARP, silent once killed', { skip }, async (t) => {
  requireL2();
  const topo = await Topology.create({ hosts: ['node1', 'node2', 'client'] });
  t.after(() => topo.destroy());
  const vip = `10.${topo.octet}.0.240`;
  const other = `10.${topo.octet}.0.241`;
  const [n1, n2] = [await startNode(t, topo, 'node1'), await startNode(t, topo, 'node2')];

  // node1 owns the VIP; node2 listens too (it owns another IP) and must stay silent for the VIP
  n1.responder.set([{ ip: vip, interfaces: [] }]);
  n2.responder.set([{ ip: other, interfaces: ['eth0'] }]);
  await waitFor(() => count(n1, 'gratuitous', vip) >= 2 && count(n2, 'gratuitous', other) >= 2, { timeoutMs: 5000, what: 'first gratuitous ARP' });
  const first = await resolve(topo, vip);
  assert.equal(first.mac, n1.mac, "client's entry names node1's eth0 MAC");
  assert.ok(count(n1, 'request', vip) >= 1 && count(n1, 'response', vip) >= 1, `node1 counted the request and its answer: ${JSON.stringify(n1.events)}`);
  assert.equal(count(n2, 'request', vip) + count(n2, 'response', vip), 0, 'node2 stays silent for an IP it does not own');
  assert.equal((await resolve(topo, other)).mac, n2.mac);
  // the second responder heard nothing for the VIP, but the first did not answer for node2's IP either
  assert.equal(count(n1, 'response', other), 0);

  // handover by gratuitous ARP only (the client asks nothing): node1 withdraws, node2 announces
  const before = count(n2, 'request', vip);
  const moveMs = await move(topo, vip, n1, n2, [{ ip: other, interfaces: ['eth0'] }, { ip: vip, interfaces: [] }], []);
  assert.equal(count(n2, 'request', vip), before, 'the entry changed without a request: gratuitous ARP');
  assert.ok(count(n2, 'gratuitous', vip) >= 2, 'request and reply forms sent');
  // the gratuitous burst: at once, then every 1.1 s for 5 s (both forms each time)
  await new Promise((r) => setTimeout(r, 5600));
  const burst = n2.events.filter((e) => e.ev === 'gratuitous' && e.ip === vip);
  const rounds = burst.filter((_, i) => i % 2 === 0).map((e) => Math.round(e.t - burst[0]!.t));
  assert.equal(burst.length, 10, `5 rounds of 2 frames: ${JSON.stringify(rounds)}`);
  rounds.slice(1).forEach((r, i) => assert.ok(Math.abs(r - 1100 * (i + 1)) < 150, `round ${i + 1} at ${r} ms`));
  // node1 no longer answers: a fresh probe is answered by node2
  assert.equal((await resolve(topo, vip)).mac, n2.mac);

  // SIGKILL of node2's child: no answers at once
  const tKill0 = performance.now();
  n2.responder.kill('SIGKILL');
  await n2.responder.exited;
  const killToProbeMs = performance.now() - tKill0;
  await unanswered(topo, vip, 1500);
  t.diagnostic(`ARP resolution (datagram sent → entry seen) ${first.ms.toFixed(1)} ms; handover (set() → client entry changed) ${moveMs.toFixed(1)} ms; gratuitous rounds at ${JSON.stringify(rounds)} ms; no answer for 1.5 s to a probe started ${killToProbeMs.toFixed(1)} ms after the kill`);
  // node1 was never killed and still owns nothing: also silent
  assert.equal(count(n1, 'response', vip), count(n1, 'request', vip));
});

test('NDP: solicited NA from the owner, handover by unsolicited NA', { skip }, async (t) => {
  requireL2();
  const topo = await Topology.create({ hosts: ['node1', 'node2', 'client'] });
  t.after(() => topo.destroy());
  const net = `fd00:${topo.octet.toString(16)}::`;
  const vip = `${net}f0`;
  let k = 11;
  for (const h of ['node1', 'node2', 'client']) await run(['ip', '-n', topo.ns(h), '-6', 'addr', 'add', `${net}${k++}/64`, 'dev', 'eth0', 'nodad'], { check: true });
  // the responders need eth0's link-local address (source of their NAs): wait until it is not tentative
  for (const h of ['node1', 'node2', 'client'])
    await waitFor(async () => {
      const r = await run(['ip', '-n', topo.ns(h), '-6', 'addr', 'show', 'dev', 'eth0', 'scope', 'link'], { check: true });
      return r.stdout.includes('fe80') && !r.stdout.includes('tentative');
    }, { timeoutMs: 10_000, what: `${h} link-local address` });
  const [n1, n2] = [await startNode(t, topo, 'node1'), await startNode(t, topo, 'node2')];
  n1.responder.set([{ ip: vip, interfaces: ['eth0'] }]);
  n2.responder.set([{ ip: `${net}f1`, interfaces: [] }]);
  await waitFor(() => count(n1, 'gratuitous', vip) >= 1, { timeoutMs: 5000, what: 'first unsolicited NA' });
  const first = await resolve(topo, vip);
  assert.equal(first.mac, n1.mac);
  assert.ok(count(n1, 'response', vip) >= 1, `node1 answered the solicitation: ${JSON.stringify(n1.events)} ${n1.logs.join('\n')}`);
  assert.equal(count(n2, 'response', vip), 0);
  const moveMs = await move(topo, vip, n1, n2, [{ ip: vip, interfaces: [] }], []);
  assert.ok(count(n2, 'gratuitous', vip) >= 1);
  n2.responder.kill('SIGKILL');
  await n2.responder.exited;
  await unanswered(topo, vip, 1500);
  t.diagnostic(`NDP resolution (datagram sent → entry seen) ${first.ms.toFixed(1)} ms; handover by unsolicited NA ${moveMs.toFixed(1)} ms`);
});

test('ChildResponder: close() ends the child, set() after close is a warning, one process for many set()', { skip }, async (t) => {
  requireL2();
  const topo = await Topology.create({ hosts: ['node1'] });
  t.after(() => topo.destroy());
  const n1 = await startNode(t, topo, 'node1');
  const pid = n1.responder.pid;
  const applied: unknown[] = [];
  n1.responder.on('applied', (e) => applied.push(e));
  for (let i = 0; i < 20; i++) n1.responder.set([{ ip: `10.${topo.octet}.0.${200 + i}`, interfaces: [] }]);
  n1.responder.set([{ ip: `10.${topo.octet}.0.219`, interfaces: [] }]); // same again: not even sent
  await waitFor(() => applied.length === 20, { timeoutMs: 5000, what: '20 applied acknowledgements' });
  assert.deepEqual(applied.at(-1), { ev: 'applied', ips: [`10.${topo.octet}.0.219`], interfaces: ['eth0'] });
  assert.equal(n1.responder.pid, pid);
  const t0 = performance.now();
  await n1.responder.close();
  const closeMs = performance.now() - t0;
  const ex = await n1.responder.exited;
  assert.equal(ex.code, 0, 'ended by itself, not killed');
  assert.equal(n1.responder.running, false);
  n1.responder.set([]);
  assert.ok(n1.logs.some((l) => l.startsWith('warn ') && l.includes('not running')), n1.logs.join('\n'));
  t.diagnostic(`close() took ${closeMs.toFixed(1)} ms`);
});
