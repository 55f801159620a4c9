// Shared prefix-lists (docs/frr-rendering.md, "Shared prefix-lists"): a list whose entries equal a
// list already rendered for an earlier neighbor is rendered once and matched by name from both
// route-maps. For every render vector and for generated configurations: every route-map answers every
// probe route exactly as with frr-k8s' per-neighbor lists; no two lists are equal any more; every
// other line is unchanged; a switch of list runs before the old list is dropped. Every rendered file
// goes through `vtysh -C -f`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderVector, renderVectorCases } from './vectorcases.js';
import { evalRouteMap, formatRoute, parseFilters, probes } from './prefixeval.js';
import { prefixSet, scaledConfig, sharedTrio } from './testconfigs.js';
import { diffFRRConfig } from './diff.js';
import { ALLOWED_CHUNK, chunkCount } from './view.js';
import { assertVtyshAccepts, requireVtysh } from './testutil.js';

const produced: Record<string, string> = {};
const keep = (name: string, text: string): string => ((produced[name] = text), text);

/**
 * Lines that do not name a prefix-list (the rest of the file must be identical), without blank lines
 * and without the `-out` entries of extra chunks of long allowed lists (65002 and up).
 */
const nonList = (t: string): string[] => t.split('\n').filter((l) => l.trim() !== '' && !/ prefix-list /.test(l) && !/^route-map \S+-out permit (6500[2-9]|650[1-9]\d|65[1-5]\d\d)$/.test(l));

/** Route-maps answer alike; the shared file has no two equal lists of one role; everything else is the same. Returns probes run. */
function assertSharedEquivalent(label: string, shared: string, perNeighbor: string): number {
  const s = parseFilters(shared);
  const p = parseFilters(perNeighbor);
  assert.deepEqual(nonList(shared), nonList(perNeighbor), `${label}: only prefix-list lines, match lines and chunk entries differ`);
  assert.deepEqual([...s.routeMaps.keys()].sort(), [...p.routeMaps.keys()].sort(), `${label}: same route-maps`);
  for (const [name, entries] of s.routeMaps) {
    for (const e of entries) assert.ok(s.lists.has(`${e.family} ${e.list}`) || !p.lists.has(`${e.family} ${e.list}`), `${label} ${name}: matches an existing list`);
  }
  const contents = new Map<string, string>();
  for (const [key, entries] of s.lists) {
    // the role: the name after the neighbor ID (addresses and the vectors' interfaces have no '-')
    const name = key.split(' ')[1]!;
    const body = `${key.split(' ')[0]}|${name.slice(name.indexOf('-'))}|${entries.map((e) => `${e.seq} ${e.action} ${e.text}`).join(',')}`;
    assert.ok(!contents.has(body), `${label}: ${key} equals ${contents.get(body)}`);
    contents.set(body, key);
  }
  let n = 0;
  for (const [name, entries] of p.routeMaps) {
    const routes = entries.flatMap((e) => probes(p.lists.get(`${e.family} ${e.list}`) ?? [], e.family));
    for (const r of routes) {
      assert.equal(evalRouteMap(s, name, r), evalRouteMap(p, name, r), `${label} ${name}: ${formatRoute(r)}`);
      n++;
    }
  }
  return n;
}

test('every render vector: shared lists answer like per-neighbor lists for every route-map and probe', () => {
  let files = 0;
  let fewer = 0;
  let total = 0;
  for (const { kind, dir, name } of renderVectorCases()) {
    const shared = keep(`${name}-shared`, renderVector(kind, dir, 'stable', 'shared'));
    const perNeighbor = renderVector(kind, dir, 'stable', 'per-neighbor');
    total += assertSharedEquivalent(name, shared, perNeighbor);
    if (parseFilters(shared).lists.size < parseFilters(perNeighbor).lists.size) fewer++;
    files++;
  }
  assert.ok(files >= 58 && total > 1000, `${files} files, ${total} probes`);
  // the vectors with several neighbors advertising alike do share
  assert.ok(fewer >= 5, `${fewer} vectors render fewer lists`);
});

test('51 neighbors x 100 prefixes: one allowed list instead of 51, the same decisions', () => {
  const prefixes = prefixSet(100);
  const shared = scaledConfig(51, prefixes);
  const perNeighbor = scaledConfig(51, prefixes, '65000:100', undefined, 'per-neighbor');
  const count = (t: string): number => t.split('\n').filter((l) => /^ip prefix-list /.test(l)).length;
  assert.equal(count(perNeighbor), 51 * 100 + 51 * 1 + 51 * 1, 'per neighbor: allowed + community + inbound deny');
  assert.equal(count(shared), 100 + 1 + 1, 'shared: each distinct list once');
  assertSharedEquivalent('scaled', shared, perNeighbor);
  // every neighbor's out route-map matches the first neighbor's list
  assert.equal((shared.match(/match ip address prefix-list 10\.9\.1\.1-allowed-ipv4$/gm) ?? []).length, 51);
  // one prefix more for everyone: one line of prefix-list instead of 51
  const script = diffFRRConfig(shared, scaledConfig(51, [...prefixes, '192.168.99.1/32'])).split('\n').filter(Boolean);
  const lists = script.filter((l) => / prefix-list /.test(l));
  assert.equal(lists.length, 1, lists.join('\n'));
  assert.match(lists[0]!, /^ip prefix-list 10\.9\.1\.1-allowed-ipv4 seq \d+ permit 192\.168\.99\.1\/32$/);
});

test('a neighbor leaving the shared list: new list first, route-map switch in place, old list dropped last', () => {
  const together = keep('trio-together', sharedTrio(false));
  const apart = keep('trio-apart', sharedTrio(true));
  // the first neighbor keeps its name; the two others get the second neighbor's list
  assert.match(apart, /^ip prefix-list 10\.9\.2\.2-allowed-ipv4 /m);
  assert.doesNotMatch(together, /10\.9\.2\.2-allowed-ipv4 seq/);
  const script = diffFRRConfig(together, apart).split('\n');
  const firstNew = script.findIndex((l) => l.startsWith('ip prefix-list 10.9.2.2-allowed-ipv4 '));
  const switches = script.map((l, i) => (/match ip address prefix-list 10\.9\.2\.2-allowed-ipv4$/.test(l) ? i : -1)).filter((i) => i >= 0);
  assert.equal(switches.length, 2, script.join('\n'));
  assert.ok(firstNew >= 0 && switches.every((i) => i > firstNew), 'the list exists before a route-map matches it');
  // nothing removes a match line (a route-map entry without match would permit everything)
  assert.ok(!script.some((l) => /no match /.test(l)), script.join('\n'));
  // back together: the second neighbor's list goes, with one command, after the switches back
  const back = diffFRRConfig(apart, together).split('\n');
  const drop = back.indexOf('no ip prefix-list 10.9.2.2-allowed-ipv4');
  const switchBack = back.map((l, i) => (/match ip address prefix-list 10\.9\.2\.1-allowed-ipv4$/.test(l) ? i : -1)).filter((i) => i >= 0);
  assert.equal(switchBack.length, 2, back.join('\n'));
  assert.ok(drop > Math.max(...switchBack), back.join('\n'));
  assert.equal(back.filter((l) => /prefix-list 10\.9\.2\.2-allowed-ipv4/.test(l) && l.startsWith('no ')).length, 1);
});

test('long allowed lists are spread over several lists by prefix hash; the route-maps answer alike; one more prefix touches one list', () => {
  assert.deepEqual([1, ALLOWED_CHUNK, ALLOWED_CHUNK + 1, 2 * ALLOWED_CHUNK, 2 * ALLOWED_CHUNK + 1, 5000].map((n) => chunkCount(n)), [1, 1, 2, 2, 4, 16]);
  const prefixes = prefixSet(1200);
  const shared = keep('chunked-1200', scaledConfig(2, prefixes));
  const perNeighbor = scaledConfig(2, prefixes, '65000:100', undefined, 'per-neighbor');
  assertSharedEquivalent('chunked', shared, perNeighbor);
  const lists = parseFilters(shared).lists;
  const allowed = [...lists].filter(([k]) => /-allowed-ipv4(-c\d+)?$/.test(k));
  assert.equal(allowed.length, chunkCount(1200), [...lists.keys()].join(' '));
  assert.equal(allowed.reduce((n, [, e]) => n + e.length, 0), 1200);
  for (const [k, e] of allowed) assert.ok(e.length <= ALLOWED_CHUNK, `${k}: ${e.length} entries`);
  // both neighbors' out route-maps have one entry per list, the second neighbor matching the first's lists
  const out2 = parseFilters(shared).routeMaps.get('10.9.1.2-out')!.filter((r) => r.family === 'ip' && /allowed/.test(r.list));
  assert.deepEqual(out2.map((r) => r.list).sort(), allowed.map(([k]) => k.split(' ')[1]!).sort());
  const script = diffFRRConfig(shared, scaledConfig(2, [...prefixes, '192.168.99.1/32'])).split('\n').filter((l) => / prefix-list /.test(l));
  assert.equal(script.length, 1, script.join('\n'));
});

test('vtysh -C -f accepts every shared rendering of these tests', (t) => {
  if (!requireVtysh(t)) return;
  assertVtyshAccepts(t, produced, 58 + 2);
});
