import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CommunityError,
  communityLiteral,
  communityString,
  compareCommunities,
  parseCommunity,
  sortCommunities,
  tryParseCommunity,
} from './community.js';
import { goQuote, goQuoteRune } from '../../util/gofmt.js';

test('parses standard and large communities', () => {
  assert.deepEqual(parseCommunity('65535:65282'), { kind: 'legacy', upper: 65535, lower: 65282 });
  assert.deepEqual(parseCommunity('0:0'), { kind: 'legacy', upper: 0, lower: 0 });
  assert.deepEqual(parseCommunity('large:4294967295:1:02'), { kind: 'large', globalAdministrator: 4294967295, localData1: 1, localData2: 2 });
  assert.equal(communityString(parseCommunity('007:8')), '7:8');
  assert.equal(communityString(parseCommunity('large:1:2:3')), '1:2:3');
  assert.equal(communityLiteral(parseCommunity('large:1:2:3')), 'large:1:2:3');
  assert.equal(communityLiteral(parseCommunity('1:2')), '1:2');
});

test('G1: standard community sections are uint16', () => {
  assert.throws(() => parseCommunity('99999999:1'), {
    message: 'invalid community value: invalid section "99999999" of community "99999999:1", err: "strconv.ParseUint: parsing \\"99999999\\": value out of range"',
  });
  assert.throws(() => parseCommunity('1:65536'), /invalid section "65536" of community "1:65536".*value out of range/);
  assert.throws(() => parseCommunity('a:1'), {
    message: 'invalid community value: invalid section "a" of community "a:1", err: "strconv.ParseUint: parsing \\"a\\": invalid syntax"',
  });
  assert.throws(() => parseCommunity('-1:1'), /invalid syntax/);
  assert.throws(() => parseCommunity(':1'), /invalid section "" of community ":1"/);
  // strconv.ParseUint stops at the first digit that overflows, before it sees a later bad character
  assert.throws(() => parseCommunity('70000x:1'), {
    message: 'invalid community value: invalid section "70000x" of community "70000x:1", err: "strconv.ParseUint: parsing \\"70000x\\": value out of range"',
  });
  assert.throws(() => parseCommunity('7x0000:1'), /parsing \\"7x0000\\": invalid syntax/);
  const r = tryParseCommunity('1:x');
  assert.ok(r.error instanceof CommunityError && r.error.kind === 'value');
});

test('G2: large communities need the marker and uint32 fields', () => {
  assert.throws(() => parseCommunity('big:1:2:3'), {
    message:
      'invalid community value: invalid marker for large community, expected community to be of format large:<uint32>:<uint32>:<uint32> but got "big:1:2:3" instead',
  });
  assert.throws(() => parseCommunity('large:4294967296:1:1'), /invalid section "4294967296" of community "large:4294967296:1:1"/);
});

test('G3: any other field count is a format error', () => {
  for (const v of ['1234', '1:2:3', 'large:1:2:3:4', '', 'alias-name']) {
    const r = tryParseCommunity(v);
    assert.ok(r.error, v);
    assert.equal(r.error.kind, 'format');
    assert.equal(r.error.message, `invalid community format: ${v}`);
  }
});

test('ordering: a standard community compares as the large community <uint32>:0:0', () => {
  const c = (s: string) => parseCommunity(s);
  assert.ok(compareCommunities(c('1:2'), c('1:3')) < 0);
  assert.ok(compareCommunities(c('2:0'), c('1:65535')) > 0);
  // 1:0 is 65536 as uint32
  assert.equal(compareCommunities(c('1:0'), c('large:65536:0:0')), 0);
  assert.ok(compareCommunities(c('1:0'), c('large:65536:0:1')) < 0);
  assert.ok(compareCommunities(c('large:65535:9:9'), c('1:0')) < 0);
  assert.ok(compareCommunities(c('large:1:2:3'), c('large:1:3:0')) < 0);
  const sorted = sortCommunities([c('large:70000:1:1'), c('2:1'), c('1:5'), c('large:1:1:1'), c('1:5')]).map(communityLiteral);
  // 1:5 = 65541 < 70000 < 131073 = 2:1
  assert.deepEqual(sorted, ['large:1:1:1', '1:5', 'large:70000:1:1', '2:1']);
});

test('Go quoting helpers', () => {
  assert.equal(goQuote('a"b\\c\n\t\x01é'), '"a\\"b\\\\c\\n\\t\\x01é"');
  assert.equal(goQuoteRune(33), "'!'");
  assert.equal(goQuoteRune(34), `'"'`);
  assert.equal(goQuoteRune(39), "'\\''");
  assert.equal(goQuoteRune(10), "'\\n'");
  assert.equal(goQuoteRune(129), "'\\u0081'");
});
