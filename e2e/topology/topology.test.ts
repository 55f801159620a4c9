// Needs root and FRR (runs in CI, skips elsewhere only when they are missing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { runSync } from '../../operator/util/exec.js';
import { isAlive } from './proc.js';
import { frrSkip, requireFRR, withTopology } from './testing.js';
import { listNamespaces, sweepStale, Topology } from './topology.js';
import { waitFor } from './wait.js';

const skip = frrSkip();
const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));

/** A TCP echo-ish server and client in Node, run inside namespaces (no ping/curl needed). */
const SERVER = `require('net').createServer((s) => s.end('hello from ' + process.argv[1])).listen(8080, process.argv[2]);`;
const CLIENT = `const s = require('net').connect(8080, process.argv[1]); let d = ''; s.on('data', (b) => d += b); s.on('end', () => { console.log(d); process.exit(0); }); s.on('error', (e) => { console.error(e.message); process.exit(1); }); setTimeout(() => process.exit(2), 5000);`;

function gone(topo: Topology, pids: number[]): void {
  const left = listNamespaces().filter((n) => n.startsWith(topo.prefix));
  assert.deepEqual(left, [], 'namespaces left behind');
  assert.deepEqual(pids.filter(isAlive), [], 'processes left behind');
  assert.equal(existsSync(topo.dir), false, 'run directory left behind');
}

test('topology up and down: hosts, addresses, client behind router, FRR; nothing left afterwards', { skip }, async (t) => {
  requireFRR();
  const t0 = performance.now();
  const topo = await Topology.create({ client: true });
  try {
    const tUp = performance.now() - t0;
    assert.match(topo.prefix, /^mf[0-9a-f]{4}-$/);
    assert.deepEqual(topo.namespaces(), ['br', 'router', 'node1', 'node2', 'client'].map((h) => topo.prefix + h));
    assert.equal(topo.ip('router'), `10.${topo.octet}.0.1`);
    assert.equal(topo.ip('node2'), `10.${topo.octet}.0.12`);
    assert.equal(topo.lan, `10.${topo.octet}.0.0/24`);
    for (const ns of topo.namespaces()) assert.ok(listNamespaces().includes(ns));
    for (const h of ['router', 'node1', 'client']) assert.ok((await topo.exec(h, ['ip', 'link', 'show', 'lo'], { check: true })).stdout.includes('UP'));

    // a server on node1's loopback service address, reached from the client through the router
    await topo.addAddress('node1', '192.168.77.1/32');
    await topo.addRoute('router', '192.168.77.1/32', topo.ip('node1'));
    const server = topo.exec('node1', [process.execPath, '-e', SERVER, 'node1', '192.168.77.1']);
    const reply = await waitFor(async () => {
      const r = await topo.exec('client', [process.execPath, '-e', CLIENT, '192.168.77.1']);
      return r.code === 0 && r.stdout.trim();
    }, { what: 'TCP reply from node1 through the router' });
    assert.equal(reply, 'hello from node1');

    const t1 = performance.now();
    const frr = await topo.startFRR('router');
    const tFRR = performance.now() - t1;
    assert.deepEqual(frr.livePids().length, 3);
    assert.match(await frr.vtysh(['show daemons']), /zebra bgpd bfdd/);
    assert.ok(existsSync(join(topo.dir, 'router', 'etc', 'vtysh.conf')));

    const pids = [...frr.livePids(), ...runSync(['ip', 'netns', 'pids', topo.ns('node1')]).stdout.split('\n').filter(Boolean).map(Number)];
    assert.ok(pids.length >= 4);
    const t2 = performance.now();
    await topo.destroy();
    const tDown = performance.now() - t2;
    gone(topo, pids);
    await server; // the server was killed with its namespace
    await topo.destroy(); // idempotent
    t.diagnostic(`topology up ${tUp.toFixed(0)} ms, FRR start ${tFRR.toFixed(0)} ms, destroy ${tDown.toFixed(0)} ms`);
  } finally {
    await topo.destroy();
  }
});

test('FRRInstance: kill and restart one daemon, stop kills all by PID', { skip }, async (t) => {
  await withTopology(t, async (topo) => {
    const f = await topo.startFRR('node1', { config: 'router bgp 64500\n bgp router-id 10.0.0.1\n' });
    assert.match(await f.runningConfig(), /bgp router-id 10\.0\.0\.1/);
    const old = f.pid('bgpd')!;
    assert.ok(f.kill('bgpd'));
    await waitFor(() => !isAlive(old), { what: 'bgpd gone' });
    await f.restart('bgpd');
    assert.notEqual(f.pid('bgpd'), old);
    // the config came back from etc/frr.conf
    assert.match(await f.runningConfig(), /bgp router-id 10\.0\.0\.1/);
    const j = await f.json<{ zebra?: unknown }>('show bgp vrfs json');
    assert.ok(j && typeof j === 'object');
    const pids = f.livePids();
    f.stop();
    assert.deepEqual(pids.filter(isAlive), []);
  }, { hosts: ['node1'] });
});

test('withTopology: the topology is destroyed by t.after even when the test body throws', { skip }, async () => {
  requireFRR();
  const hooks: (() => unknown)[] = [];
  const fakeT = { after: (fn: () => unknown) => hooks.push(fn) } as unknown as Parameters<typeof withTopology>[0];
  let made: Topology | undefined;
  await assert.rejects(
    withTopology(fakeT, async (topo) => {
      made = topo;
      await topo.startFRR('node1');
      throw new Error('boom');
    }, { hosts: ['node1'] }),
    /boom/,
  );
  assert.equal(hooks.length, 1);
  const pids = made!.frr('node1').livePids();
  for (const h of hooks) await h();
  gone(made!, pids);
});

for (const how of ['uncaught', 'SIGTERM'] as const) {
  test(`a process that dies by ${how} still removes its topology (exit hook)`, { skip }, async () => {
    requireFRR();
    const script = `
      import { Topology } from ${JSON.stringify(here('./topology.js'))};
      const topo = await Topology.create({ hosts: ['node1'] });
      const f = await topo.startFRR('node1');
      console.log(JSON.stringify({ prefix: topo.prefix, dir: topo.dir, pids: f.livePids() }));
      ${how === 'uncaught' ? "setTimeout(() => { throw new Error('crash'); }, 10);" : 'setInterval(() => {}, 1000);'}
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const info = await waitFor(() => out.includes('\n') && (JSON.parse(out.split('\n')[0]!) as { prefix: string; dir: string; pids: number[] }), { what: 'the child topology' });
    assert.equal(info.pids.length, 3);
    if (how === 'SIGTERM') child.kill('SIGTERM');
    const code = await exited;
    if (how === 'uncaught') {
      assert.notEqual(code, 0);
      assert.match(err, /crash/);
    }
    assert.deepEqual(listNamespaces().filter((n) => n.startsWith(info.prefix)), []);
    assert.deepEqual(info.pids.filter(isAlive), []);
    assert.equal(existsSync(info.dir), false);
  });
}

test('sweepStale removes namespaces and directories of dead owners only', { skip }, async () => {
  requireFRR();
  const base = mkdtempSync(join(tmpdir(), 'metalfrr-sweep-'));
  try {
    // a crashed run: owner PID dead, one namespace, a run directory
    const deadPid = 2 ** 22 + 12345; // above pid_max: never alive
    const stalePrefix = await freePrefix();
    mkdirSync(join(base, stalePrefix.slice(0, -1), 'node1', 'run'), { recursive: true });
    writeFileSync(join(base, stalePrefix.slice(0, -1), 'owner.json'), JSON.stringify({ pid: deadPid, startTime: 1, prefix: stalePrefix, namespaces: [] }));
    writeFileSync(join(base, stalePrefix.slice(0, -1), 'node1', 'run', 'bgpd.pid'), `${process.pid}\n`); // a live PID that is not ours to kill
    runSync(['ip', 'netns', 'add', `${stalePrefix}node1`], { check: true });
    // a live run (this process) in the same base directory
    const live = await Topology.create({ hosts: ['node1'], baseDir: base });
    try {
      const res = sweepStale(undefined, { baseDir: base });
      assert.deepEqual(res.namespaces, [`${stalePrefix}node1`]);
      assert.deepEqual(res.dirs, [join(base, stalePrefix.slice(0, -1))]);
      assert.deepEqual(res.killed, []); // the PID file pointed at a process whose command line is not ours
      assert.ok(res.skipped.some((s) => s.prefix === live.prefix && /still runs/.test(s.reason)));
      assert.ok(listNamespaces().includes(live.ns('node1')));
      assert.ok(existsSync(live.dir));
      assert.ok(!listNamespaces().includes(`${stalePrefix}node1`));
    } finally {
      await live.destroy();
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

async function freePrefix(): Promise<string> {
  for (;;) {
    const p = `mf${Math.floor(Math.random() * 0x10000).toString(16).padStart(4, '0')}-`;
    if (!listNamespaces().some((n) => n.startsWith(p))) return p;
  }
}
