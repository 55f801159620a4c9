// The stable numbering of prefix-list `seq` and route-map entries (docs/frr-rendering.md, "Stable
// numbers"): for every render vector and for generated configurations, the stable scheme gives every
// list the same entries with the same actions as upstream's 1..n numbering and the same answer for
// every probe route (first match, evaluated by ./prefixeval.ts), every route-map the same answer, and
// adding or removing one prefix changes only that prefix's lines. Every rendered file goes through
// `vtysh -C -f`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FRRConfiguration } from '../api/frrk8s.js';
import { renderVector, renderVectorCases } from './vectorcases.js';
import { entryMatches, evalList, evalRouteMap, formatRoute, parseFilters, parseMatch, probes, type Family, type ListEntry } from './prefixeval.js';
import { prefixSet, render, scaledConfig } from './testconfigs.js';
import { diffFRRConfig } from './diff.js';
import { assertVtyshAccepts, requireVtysh } from './testutil.js';
import { fnv1a32, keepsDecisiveOrder, MAX_SEQ, naturalSeq, stableSeqs } from './view.js';

type Spec = NonNullable<FRRConfiguration['spec']>;

// every file rendered here goes through vtysh -C -f at the end
const produced: Record<string, string> = {};
const keep = (name: string, text: string): string => ((produced[name] = text), text);

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Equivalence {
  lists: number;
  routeMaps: number;
  probes: number;
}

/**
 * The stable and the upstream rendering of one configuration decide alike: same lines once the numbers
 * are blanked is checked elsewhere; here, per list: same (action, match) entries; the entries whose
 * actions differ keep their relative order; `any` entries stay last; the first-match answer for every
 * probe route is the same; per route-map: same answer (and sets) for every probe route.
 */
function assertEquivalent(label: string, stable: string, upstream: string): Equivalence {
  const s = parseFilters(stable);
  const u = parseFilters(upstream);
  assert.deepEqual([...s.lists.keys()].sort(), [...u.lists.keys()].sort(), `${label}: same lists`);
  assert.deepEqual([...s.routeMaps.keys()].sort(), [...u.routeMaps.keys()].sort(), `${label}: same route-maps`);
  let n = 0;
  for (const [key, ue] of u.lists) {
    const se = s.lists.get(key)!;
    const family = key.split(' ')[0] as Family;
    const body = (e: ListEntry): string => `${e.action} ${e.text}`;
    assert.deepEqual(se.map(body), ue.map(body), `${label} ${key}: same entries in the same file order`);
    assert.equal(new Set(se.map((e) => e.seq)).size, se.length, `${label} ${key}: seqs are unique`);
    for (const e of se) assert.ok(Number.isInteger(e.seq) && e.seq >= 1 && e.seq <= MAX_SEQ, `${label} ${key}: seq ${e.seq} in FRR's range`);
    const uo = [...ue].sort((a, b) => a.seq - b.seq).map(body);
    const so = [...se].sort((a, b) => a.seq - b.seq).map(body);
    for (let i = 0; i < uo.length; i++)
      for (let j = i + 1; j < uo.length; j++)
        if (uo[i]!.split(' ')[0] !== uo[j]!.split(' ')[0]) assert.ok(so.indexOf(uo[i]!) < so.indexOf(uo[j]!), `${label} ${key}: ${uo[i]} stays before ${uo[j]}`);
    const anyAt = so.findIndex((b) => b.endsWith(' any'));
    if (anyAt >= 0) assert.ok(so.slice(anyAt).every((b) => b.endsWith(' any')), `${label} ${key}: the catch-all stays last`);
    for (const r of probes(ue, family)) {
      assert.equal(evalList(se, family, r), evalList(ue, family, r), `${label} ${key}: ${formatRoute(r)}`);
      n++;
    }
  }
  for (const [name, ue] of u.routeMaps) {
    const se = s.routeMaps.get(name)!;
    assert.equal(new Set(se.map((e) => e.number)).size, se.length, `${label} ${name}: unique entry numbers`);
    for (const e of se) assert.ok(e.number >= 1 && e.number <= 65535, `${label} ${name}: entry ${e.number} in FRR's range`);
    const routes = ue.flatMap((e) => probes(u.lists.get(`${e.family} ${e.list}`) ?? [], e.family));
    for (const r of routes) {
      assert.equal(evalRouteMap(s, name, r), evalRouteMap(u, name, r), `${label} ${name}: ${formatRoute(r)}`);
      n++;
    }
  }
  return { lists: u.lists.size, routeMaps: u.routeMaps.size, probes: n };
}

/** Lines of `b` not in `a` and of `a` not in `b` (as multisets). */
function changedLines(a: string, b: string): { added: string[]; removed: string[] } {
  const count = (t: string): Map<string, number> => {
    const m = new Map<string, number>();
    for (const l of t.split('\n')) m.set(l, (m.get(l) ?? 0) + 1);
    return m;
  };
  const ca = count(a);
  const cb = count(b);
  const diff = (x: Map<string, number>, y: Map<string, number>): string[] =>
    [...x].flatMap(([l, k]) => new Array<string>(Math.max(0, k - (y.get(l) ?? 0))).fill(l));
  return { added: diff(cb, ca), removed: diff(ca, cb) };
}

const isFilterLine = (l: string): boolean => / prefix-list \S+ seq /.test(l) || /^route-map /.test(l);

// ---------------------------------------------------------------------------------------------
// the scheme's pieces

test('naturalSeq: IPv4 midpoints (order-preserving, injective below /32), IPv6 hashed, any at the top', () => {
  assert.equal(naturalSeq('ip', 'any'), MAX_SEQ);
  assert.equal(naturalSeq('ipv6', 'any'), MAX_SEQ);
  assert.equal(naturalSeq('ip', '0.0.0.0/0'), 2 ** 31);
  assert.equal(naturalSeq('ip', '10.0.0.0/24'), 10 * 2 ** 24 + 128);
  assert.equal(naturalSeq('ip', '10.0.0.7/32'), 10 * 2 ** 24 + 7);
  assert.equal(naturalSeq('ip', '0.0.0.0/32'), 1, 'clamped into 1..MAX_SEQ-1');
  assert.equal(naturalSeq('ip', '255.255.255.255/32'), MAX_SEQ - 1, 'clamped below the catch-all');
  // every prefix length 0..31 of one address gets its own number
  const lens = [...Array(32).keys()].map((l) => naturalSeq('ip', `10.1.2.0/${l}`));
  assert.equal(new Set(lens).size, 32);
  // order-preserving by address among /32s
  assert.ok(naturalSeq('ip', '9.255.255.255/32') < naturalSeq('ip', '10.0.0.1/32'));
  // IPv6: le/ge variants differ, the value is in range and does not depend on anything else
  const v6 = ['2001:db8::/64', '2001:db8::/64 le 128', '2001:db8::/64 ge 96', '2001:db8::1/128'].map((m) => naturalSeq('ipv6', m));
  assert.equal(new Set(v6).size, v6.length);
  for (const s of v6) assert.ok(s >= 1 && s < MAX_SEQ);
  // FNV-1a 32 (published test values), and the hashed seq is 1 + hash mod (MAX_SEQ-1)
  assert.equal(fnv1a32(''), 0x811c9dc5);
  assert.equal(fnv1a32('a'), 0xe40c292c);
  assert.equal(fnv1a32('foobar'), 0xbf9cf968);
  assert.equal(naturalSeq('ipv6', '2001:db8::1/128'), 1 + (fnv1a32('2001:db8::1/128') % (MAX_SEQ - 1)));
  assert.equal(naturalSeq('ip', '10.0.0.0/8 le 24'), 1 + (fnv1a32('10.0.0.0/8 le 24') % (MAX_SEQ - 1)));
});

test('stableSeqs: collisions take the next free number (deterministic); mixed actions that would be reordered fall back to 1..n', () => {
  // 10.0.0.128/32 is the midpoint of 10.0.0.0/24: the one whose text sorts later moves up by one,
  // whatever the rendering order
  const col = stableSeqs([
    { family: 'ip', action: 'permit', match: '10.0.0.0/24' },
    { family: 'ip', action: 'permit', match: '10.0.0.128/32' },
  ]);
  assert.deepEqual(col, { seqs: [10 * 2 ** 24 + 128, 10 * 2 ** 24 + 129], fallback: false });
  const rev = stableSeqs([
    { family: 'ip', action: 'permit', match: '10.0.0.128/32' },
    { family: 'ip', action: 'permit', match: '10.0.0.0/24' },
  ]);
  assert.deepEqual(rev.seqs, [10 * 2 ** 24 + 129, 10 * 2 ** 24 + 128]);
  // le/ge variants of one prefix are hashed by their text: no collision with each other
  const variants = stableSeqs(['10.0.0.0/8', '10.0.0.0/8 le 16', '10.0.0.0/8 le 24', '10.0.0.0/8 ge 20'].map((match) => ({ family: 'ip' as const, action: 'permit' as const, match })));
  assert.deepEqual(variants.seqs, variants.seqs.map((_, i) => naturalSeq('ip', ['10.0.0.0/8', '10.0.0.0/8 le 16', '10.0.0.0/8 le 24', '10.0.0.0/8 ge 20'][i]!)));
  assert.deepEqual(stableSeqs([{ family: 'ip', action: 'permit', match: '10.0.0.128/32' }]).seqs, [10 * 2 ** 24 + 128], 'alone it has its natural seq');
  // two catch-alls: the first keeps the top; same action, so the order does not matter
  assert.deepEqual(stableSeqs([{ family: 'ip', action: 'deny', match: 'any' }, { family: 'ip', action: 'deny', match: 'any' }]).seqs, [MAX_SEQ, 1]);
  // a permit of 10.128.0.0/9 before a deny of 10.1.0.0/16: the natural numbers (midpoints 10.192.0.0
  // and 10.1.128.0) would put the deny first; actions differ, so the list keeps rendering order
  const mixed = [
    { family: 'ip' as const, action: 'permit' as const, match: '10.128.0.0/9' },
    { family: 'ip' as const, action: 'deny' as const, match: '10.1.0.0/16' },
  ];
  assert.deepEqual(stableSeqs(mixed), { seqs: [1, 2], fallback: true });
  assert.equal(keepsDecisiveOrder(mixed, [10 * 2 ** 24 + 192 * 2 ** 16, 10 * 2 ** 24 + 2 ** 16 + 128 * 256]), false);
  // the other way round the natural numbers keep the order: no fallback
  assert.deepEqual(stableSeqs([mixed[1]!, mixed[0]!]), { seqs: [10 * 2 ** 24 + 2 ** 16 + 128 * 256, 10 * 2 ** 24 + 192 * 2 ** 16], fallback: false });
  // a deny any after permits: the catch-all stays last
  const tail = stableSeqs([{ family: 'ip', action: 'permit', match: '10.0.0.0/24' }, { family: 'ip', action: 'deny', match: 'any' }]);
  assert.deepEqual(tail, { seqs: [10 * 2 ** 24 + 128, MAX_SEQ], fallback: false });
});

// ---------------------------------------------------------------------------------------------
// generated lists (no rendering): equivalence and stability of stableSeqs itself

type Gen = { family: Family; action: 'permit' | 'deny'; match: string };

function randomEntry(r: () => number, family: Family, action: 'permit' | 'deny'): Gen {
  const int = (n: number): number => Math.floor(r() * n);
  let prefix: string;
  let len: number;
  if (family === 'ip') {
    len = [8, 16, 20, 24, 28, 32][int(6)]!;
    const a = (((10 << 24) | (int(4) << 16) | (int(4) << 8) | (int(256) & 0xfc)) >>> 0) & (len === 0 ? 0 : (~0 << (32 - len)) >>> 0);
    prefix = `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${len}`;
  } else {
    len = [32, 48, 64, 112, 128][int(5)]!;
    const g = [0x2001, 0xdb8, int(4), int(4), 0, 0, 0, int(8)];
    const keep = Math.ceil(len / 16);
    const groups = g.map((x, i) => (i < keep ? x : 0));
    prefix = `${groups.map((x) => x.toString(16)).join(':')}/${len}`;
  }
  const max = family === 'ip' ? 32 : 128;
  const kind = int(4);
  const le = len < max && kind === 1 ? ` le ${len + 1 + int(max - len)}` : '';
  const ge = len < max && kind === 2 ? ` ge ${len + 1 + int(max - len)}` : '';
  return { family, action, match: `${prefix}${le}${ge}` };
}

function asEntries(list: readonly Gen[], seqs: readonly number[]): ListEntry[] {
  return list.map((e, i) => ({ seq: seqs[i]!, action: e.action, ...parseMatch(e.family, e.match) }));
}

test('generated lists (IPv4/IPv6, le/ge, permits, denies, mixed, catch-alls): stable seqs answer like 1..n and insertions move nothing else', (t) => {
  const r = rng(8);
  let lists = 0;
  let probesRun = 0;
  let fallbacks = 0;
  let collisions = 0;
  let moves = 0;
  for (let round = 0; round < 300; round++) {
    const family: Family = round % 2 === 0 ? 'ip' : 'ipv6';
    const shape = round % 5; // 0/1: permits, 2: denies, 3: mixed, 4: permits + deny any
    const n = 1 + Math.floor(r() * 12);
    const list: Gen[] = [];
    const seen = new Set<string>();
    if (family === 'ip' && round % 10 === 0) {
      // a collision pair: 10.3.3.128/32 is the midpoint of 10.3.3.0/24
      for (const match of ['10.3.3.0/24', '10.3.3.128/32']) {
        list.push({ family, action: shape === 2 ? 'deny' : 'permit', match });
        seen.add(match);
      }
    }
    while (list.length < n) {
      const action = shape === 2 ? 'deny' : shape === 3 && r() < 0.4 ? 'deny' : 'permit';
      const e = randomEntry(r, family, action);
      if (seen.has(e.match)) continue; // FRR refuses the same match twice in one list
      seen.add(e.match);
      list.push(e);
    }
    if (shape === 4) list.push({ family, action: 'deny', match: 'any' });
    const st = stableSeqs(list);
    if (st.fallback) fallbacks++;
    const upstream = asEntries(list, list.map((_, i) => i + 1));
    const stable = asEntries(list, st.seqs);
    assert.equal(new Set(st.seqs).size, list.length, 'unique seqs');
    for (const p of probes(upstream, family)) {
      assert.equal(evalList(stable, family, p), evalList(upstream, family, p), `round ${round} ${formatRoute(p)}: ${JSON.stringify(list)} ${st.seqs}`);
      probesRun++;
    }
    lists++;
    if (new Set(list.map((e) => e.action)).size > 1 && shape !== 4) continue; // stability is promised for one-action lists (+ tail)
    assert.equal(st.fallback, false, 'a one-action list never falls back');
    // insert one entry at the start, the middle and the end; remove one at the start, middle, end
    const extra = randomEntry(r, family, list[0]!.action);
    if (seen.has(extra.match)) continue;
    const body = shape === 4 ? list.slice(0, -1) : list;
    const tail = shape === 4 ? list.slice(-1) : [];
    const variants = [
      [extra, ...body],
      [...body.slice(0, body.length >> 1), extra, ...body.slice(body.length >> 1)],
      [...body, extra],
      body.slice(1),
      [...body.slice(0, body.length >> 1), ...body.slice((body.length >> 1) + 1)],
      body.slice(0, -1),
    ].map((v) => [...v, ...tail]);
    const before = new Map(list.map((e, i) => [e.match, st.seqs[i]!]));
    for (const v of variants) {
      const vs = stableSeqs(v);
      assert.equal(vs.fallback, false);
      v.forEach((e, i) => {
        if (!before.has(e.match) || vs.seqs[i] === before.get(e.match)) return;
        // only a colliding entry may move: one that is off its natural seq before or after the change
        const nat = e.match === 'any' ? MAX_SEQ : naturalSeq(e.family, e.match);
        assert.ok(vs.seqs[i] !== nat || before.get(e.match) !== nat, `${e.match} moved from ${before.get(e.match)} to ${vs.seqs[i]} without a collision`);
        moves++;
      });
      const cols = v.filter((e, i) => vs.seqs[i] !== naturalSeq(e.family, e.match) && !(e.match === 'any' && vs.seqs[i] === MAX_SEQ)).length;
      collisions += cols;
    }
  }
  assert.ok(lists >= 300 && probesRun > 10_000);
  assert.ok(fallbacks > 0, 'some mixed lists needed the fallback (the test covers it)');
  // diagnostics: how often the fallback and collisions happen
  assert.ok(collisions > 0 && moves > 0, 'the collision case is exercised');
  t.diagnostic(`${lists} lists, ${probesRun} probes, ${fallbacks} fallbacks (mixed actions), ${collisions} colliding entries, ${moves} entries moved by a collision`);
});

// ---------------------------------------------------------------------------------------------
// every render vector

test('every render vector: the stable numbering answers like the upstream one, for every list and route-map', () => {
  let files = 0;
  let lists = 0;
  let total = 0;
  for (const { kind, dir, name } of renderVectorCases()) {
    const stable = keep(`${name}-stable`, renderVector(kind, dir, 'stable'));
    const upstream = keep(`${name}-upstream`, renderVector(kind, dir, 'upstream'));
    const eq = assertEquivalent(name, stable, upstream);
    lists += eq.lists;
    total += eq.probes;
    files++;
  }
  assert.ok(files >= 58 && lists > 100 && total > 1000, `${files} files, ${lists} lists, ${total} probes`);
});

// ---------------------------------------------------------------------------------------------
// generated configurations through the real pipeline: adds/removes at the start, middle and end

const V4 = ['192.168.10.1/32', '192.168.10.7/32', '192.168.10.20/32', '192.168.12.0/24', '198.51.100.0/26'];
const V6 = ['2001:db8::1/128', '2001:db8::7/128', '2001:db8:1::/64', '2001:db8:5::/48'];

function spec(v4: string[], v6: string[], receive: { prefix: string; le?: number; ge?: number }[], extra: { community?: boolean } = {}): Spec {
  const all = [...v4, ...v6];
  return {
    bgp: {
      routers: [
        {
          asn: 64500,
          prefixes: all,
          neighbors: [
            {
              address: '10.9.0.1',
              asn: 64501,
              dualStackAddressFamily: true,
              toAdvertise: {
                allowed: { prefixes: all },
                // membership depends on the prefix alone, so one prefix more or less changes no other line
                withLocalPref: [{ localPref: 200, prefixes: all.filter((p) => p.endsWith('/32') || p.endsWith('/128')) }],
                withCommunity: [
                  { community: '65000:100', prefixes: all.filter((p) => !p.startsWith('198.') && !p.startsWith('fd00')) },
                  ...(extra.community ? [{ community: 'large:1:2:3', prefixes: all.filter((p) => p === '192.168.10.1/32' || p === '2001:db8::1/128') }] : []),
                ],
              },
              toReceive: { allowed: { prefixes: receive } },
            },
            { address: 'fd00::9', asn: 64502, toAdvertise: { allowed: { prefixes: v6 } }, toReceive: { allowed: { prefixes: receive.filter((p) => p.prefix.includes(':')) } } },
          ],
        },
      ],
    },
  } as Spec;
}

const RECEIVE = [
  { prefix: '10.0.0.0/8', le: 24 },
  { prefix: '172.16.0.0/16', ge: 20, le: 28 },
  { prefix: '192.0.2.0/24' },
  { prefix: '2001:db8:100::/40', le: 64 },
  { prefix: 'fd00:1::/48', ge: 56 },
];

const insertAt = <T>(xs: T[], i: number, x: T): T[] => [...xs.slice(0, i), x, ...xs.slice(i)];
const removeAt = <T>(xs: T[], i: number): T[] => [...xs.slice(0, i), ...xs.slice(i + 1)];

test('generated configs: adding or removing one prefix changes only that prefix\'s lines (stable), and answers like upstream', (t) => {
  const base = (v4: string[], v6: string[], rcv = RECEIVE, extra = {}): { stable: string; upstream: string } => ({
    stable: render(spec(v4, v6, rcv, extra), { alwaysBlock: ['192.168.0.0/16'] }),
    upstream: render(spec(v4, v6, rcv, extra), { alwaysBlock: ['192.168.0.0/16'], seqNumbering: 'upstream' }),
  });
  const b = base(V4, V6);
  keep('gen-base', b.stable);
  assertEquivalent('base', b.stable, b.upstream);
  interface Change {
    name: string;
    after: { stable: string; upstream: string };
    /** the match text whose lines may change */
    token: string;
  }
  const changes: Change[] = [];
  // v4 prefixes (sorted input positions): start, middle, end; then removals
  for (const [pos, p] of [[0, '10.200.0.5/32'], [2, '192.168.10.9/32'], [V4.length, '203.0.113.0/24']] as const)
    changes.push({ name: `add v4 ${p} at ${pos}`, after: base(insertAt(V4, pos, p), V6), token: p });
  for (const pos of [0, 2, V4.length - 1]) changes.push({ name: `remove v4 ${V4[pos]}`, after: base(removeAt(V4, pos), V6), token: V4[pos]! });
  for (const [pos, p] of [[0, '2001:db8::/127'], [2, '2001:db8:2::/64'], [V6.length, 'fd00:ff::/64']] as const)
    changes.push({ name: `add v6 ${p} at ${pos}`, after: base(V4, insertAt(V6, pos, p)), token: p });
  for (const pos of [0, 2, V6.length - 1]) changes.push({ name: `remove v6 ${V6[pos]}`, after: base(V4, removeAt(V6, pos)), token: V6[pos]! });
  // incoming selectors with le/ge: start, middle, end, removal
  for (const [pos, sel, text] of [
    [0, { prefix: '10.0.0.0/8', le: 16 }, '10.0.0.0/8 le 16'],
    [2, { prefix: '172.20.0.0/14', ge: 24 }, '172.20.0.0/14 ge 24'],
    [RECEIVE.length, { prefix: 'fd00:2::/48', le: 64, ge: 56 }, 'fd00:2::/48 le 64 ge 56'],
  ] as const)
    changes.push({ name: `add selector ${text}`, after: base(V4, V6, insertAt(RECEIVE, pos, sel)), token: text });
  changes.push({ name: 'remove selector 172.16.0.0/16', after: base(V4, V6, removeAt(RECEIVE, 1)), token: '172.16.0.0/16 le 28 ge 20' });

  let stableChanged = 0;
  let upstreamChanged = 0;
  for (const c of changes) {
    keep(`gen-${c.name}`, c.after.stable);
    assertEquivalent(c.name, c.after.stable, c.after.upstream);
    const s = changedLines(b.stable, c.after.stable);
    const sf = [...s.added, ...s.removed].filter(isFilterLine);
    assert.ok(sf.length > 0, `${c.name}: the prefix's own lines change`);
    for (const l of sf) assert.ok(l.endsWith(` ${c.token}`), `${c.name}: only lines of ${c.token} change, not ${l}`);
    // exactly the prefix's lines: as many as the config holding it has
    const holder = s.added.length > 0 ? c.after.stable : b.stable;
    assert.equal(sf.length, holder.split('\n').filter((l) => isFilterLine(l) && l.endsWith(` ${c.token}`)).length, c.name);
    const u = changedLines(b.upstream, c.after.upstream);
    stableChanged += sf.length;
    upstreamChanged += [...u.added, ...u.removed].filter(isFilterLine).length;
  }
  // the comparison could fail: upstream's numbering renumbers the later entries
  const first = changedLines(b.upstream, changes[0]!.after.upstream);
  assert.ok([...first.added, ...first.removed].filter(isFilterLine).some((l) => !l.endsWith(` ${changes[0]!.token}`)), 'upstream renumbers on an insertion at the start');
  assert.ok(upstreamChanged > 2 * stableChanged, `upstream changed ${upstreamChanged} filter lines, stable ${stableChanged}`);
  t.diagnostic(`${changes.length} changes: ${stableChanged} filter lines changed with stable numbers, ${upstreamChanged} with upstream's`);
});

test('generated configs: a new modifier list or always-block adds route-map entries without renumbering the others', () => {
  const plain = render(spec(V4, V6, RECEIVE));
  const withLarge = render(spec(V4, V6, RECEIVE, { community: true }));
  const withBlock = render(spec(V4, V6, RECEIVE), { alwaysBlock: ['192.168.0.0/16', 'fc00::/7'] });
  keep('gen-plain', plain);
  keep('gen-large', withLarge);
  keep('gen-block', withBlock);
  assertEquivalent('large', withLarge, render(spec(V4, V6, RECEIVE, { community: true }), { seqNumbering: 'upstream' }));
  assertEquivalent('block', withBlock, render(spec(V4, V6, RECEIVE), { alwaysBlock: ['192.168.0.0/16', 'fc00::/7'], seqNumbering: 'upstream' }));
  const large = changedLines(plain, withLarge);
  assert.deepEqual(large.removed.filter(isFilterLine), []);
  for (const l of large.added.filter(isFilterLine)) assert.match(l, /large:1:2:3|^route-map 10\.9\.0\.1-out permit \d+$/);
  const newLists = new Set(large.added.filter((l) => l.includes('large:1:2:3') && /^(ip|ipv6) prefix-list /.test(l)).map((l) => l.split(' ')[2]));
  assert.equal(newLists.size, 2, 'one large-community list per family');
  assert.equal(large.added.filter((l) => l.startsWith('route-map ')).length, newLists.size, 'one new route-map entry per new list, none renumbered');
  const block = changedLines(plain, withBlock);
  assert.deepEqual(block.removed.filter(isFilterLine), []);
  for (const l of block.added.filter(isFilterLine)) assert.match(l, /denied-inpl|^route-map \S+-in deny [12]$/);
  // with upstream numbers the same change renumbers the -out allowed and the -in entries
  const up = changedLines(render(spec(V4, V6, RECEIVE), { seqNumbering: 'upstream' }), render(spec(V4, V6, RECEIVE, { community: true }), { seqNumbering: 'upstream' }));
  assert.ok(up.removed.some((l) => l.startsWith('route-map ')), 'upstream renumbers route-map entries');
});

test('the apply diff of one inserted prefix (11 neighbors x 100 prefixes): one prefix-list line per neighbor with stable numbers', (t) => {
  const base = prefixSet(100);
  // 192.168.20.155/32 sorts in the middle of the string-sorted list (after 192.168.20.15/32)
  const more = [...base, '192.168.20.155/32'];
  // per-neighbor lists, as frr-k8s renders them (shared lists: one line in all, share.test.ts)
  const script = (n?: 'upstream'): string[] => diffFRRConfig(scaledConfig(11, base, '65000:100', n, 'per-neighbor'), scaledConfig(11, more, '65000:100', n, 'per-neighbor')).split('\n');
  const stable = script().filter((l) => / prefix-list /.test(l));
  assert.equal(stable.length, 11);
  for (const l of stable) assert.match(l, /^ip prefix-list 10\.9\.1\.\d+-allowed-ipv4 seq \d+ permit 192\.168\.20\.155\/32$/);
  const upstream = script('upstream').filter((l) => / prefix-list /.test(l));
  assert.ok(upstream.length > 10 * stable.length, `upstream: ${upstream.length} prefix-list commands`);
  keep('scaled-more', scaledConfig(11, more));
  t.diagnostic(`+1 prefix: ${stable.length} prefix-list commands with stable numbers, ${upstream.length} with upstream's`);
});

test('vtysh -C -f accepts every configuration rendered by these tests', (t) => {
  if (!requireVtysh(t)) return;
  assertVtyshAccepts(t, produced, 58 + 20);
});

// sanity of the evaluator itself, so that "same answer" cannot be vacuous
test('the evaluator follows FRR: exact match, le/ge ranges, any, first match in seq order', () => {
  const e = (seq: number, action: 'permit' | 'deny', text: string): ListEntry => ({ seq, action, ...parseMatch('ip', text) });
  const r = (t: string): { family: Family; net: bigint; len: number } => {
    const p = parseMatch('ip', t);
    return { family: 'ip', net: p.net, len: p.len };
  };
  assert.ok(entryMatches(parseMatch('ip', '10.0.0.0/8'), 'ip', r('10.0.0.0/8')));
  assert.ok(!entryMatches(parseMatch('ip', '10.0.0.0/8'), 'ip', r('10.1.0.0/16')));
  assert.ok(entryMatches(parseMatch('ip', '10.0.0.0/8 le 24'), 'ip', r('10.1.0.0/16')));
  assert.ok(!entryMatches(parseMatch('ip', '10.0.0.0/8 le 24'), 'ip', r('10.1.0.0/25')));
  assert.ok(!entryMatches(parseMatch('ip', '10.0.0.0/8 ge 20'), 'ip', r('10.1.0.0/16')));
  assert.ok(entryMatches(parseMatch('ip', '10.0.0.0/8 ge 20'), 'ip', r('10.1.0.1/32')));
  assert.ok(!entryMatches(parseMatch('ip', '10.0.0.0/8'), 'ipv6', { family: 'ipv6', net: 0n, len: 0 }));
  const list = [e(2, 'permit', '10.0.0.0/8 le 32'), e(1, 'deny', '10.1.0.0/16 le 32')];
  assert.equal(evalList(list, 'ip', r('10.1.2.0/24')), 'deny');
  assert.equal(evalList(list, 'ip', r('10.2.2.0/24')), 'permit');
  assert.equal(evalList(list, 'ip', r('11.0.0.0/8')), 'deny', 'no match = deny');
  assert.equal(evalList([e(1, 'permit', 'any')], 'ip', r('11.0.0.0/8')), 'permit');
  // a reordering that changes the answer is seen
  assert.notEqual(evalList(list.map((x) => ({ ...x, seq: 3 - x.seq })), 'ip', r('10.1.2.0/24')), 'deny');
});
