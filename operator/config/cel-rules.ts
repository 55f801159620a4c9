// Hand-written TypeScript equivalents of the CEL rules (`x-kubernetes-validations`) used in crds/.
//
// There is no CEL interpreter here: every rule text that appears in a CRD must have an entry in
// RULES below, keyed by the rule text with whitespace collapsed. schema.ts reports a rule without
// an entry as an internal error (never silently skips it), and a test walks every CRD to make sure
// all rules are covered.
import { parseDuration } from '../util/duration.js';
import { parseIP } from '../util/ip.js';
import { deepEqual, isObject } from '../util/json.js';

/**
 * Evaluates one rule. `self` is the value at the rule's node (defaults applied); `oldSelf` is the
 * correlated old value for transition rules (only called when it exists). Returns true when the rule
 * holds. Values of an unexpected JSON type return true: the schema check already reports them.
 */
export type CelImpl = (self: unknown, oldSelf?: unknown) => boolean;

export function normalizeRule(rule: string): string {
  return rule.replace(/\s+/g, ' ').trim();
}

/** A transition rule refers to oldSelf and is only evaluated on updates where the old value exists. */
export function isTransitionRule(rule: string): boolean {
  return /\boldSelf\b/.test(rule);
}


// ----------------------------------------------------------------------------------------------
// duration(self): CEL parses with Go's time.ParseDuration. getSeconds() truncates toward zero;
// getMilliseconds() is the whole duration in milliseconds (truncated).
const NS_PER_S = 1e9;
const NS_PER_MS = 1e6;

function durationSeconds(v: string): number | null {
  const ns = parseDuration(v);
  return ns === null ? null : Math.trunc(ns / NS_PER_S);
}
function durationMillis(v: string): number | null {
  const ns = parseDuration(v);
  return ns === null ? null : Math.trunc(ns / NS_PER_MS);
}

// ----------------------------------------------------------------------------------------------
// Route distinguisher / route target helpers, mirroring the CEL text operation by operation:
// split(':'), matches('^[0-9]+$'), isIP(), uint(). Values are at most 21 characters (maxLength),
// so every digit string fits an unsigned 64-bit integer; bigint keeps them exact.
const DIGITS = /^[0-9]+$/;
const parts = (s: string): string[] => s.split(':');
const isIPText = (s: string): boolean => parseIP(s) !== null;
const u = (s: string): bigint => BigInt(s);
const U16 = 65535n;
const U32 = 4294967295n;

type StrRule = (s: string) => boolean;
const onString =
  (f: StrRule): CelImpl =>
  (self) =>
    typeof self !== 'string' || f(self);

/** The seven (import RT) or six (RD, export RT) rules on administrator:value strings. */
function adminRuleSet(wildcard: boolean): Record<string, StrRule> {
  const G = "self.split(':')[0]";
  const L = "self.split(':')[1]";
  const two = "self.split(':').size() != 2";
  const num = "'^[0-9]+$'";
  const set: Record<string, StrRule> = {
    "self.split(':').size() == 2": (s) => parts(s).length === 2,
    [`${two} || ${L}.matches(${num})`]: (s) => parts(s).length !== 2 || DIGITS.test(parts(s)[1]!),
    [`${two} || !isIP(${G}) || !${L}.matches(${num}) || uint(${L}) <= 65535u`]: (s) => {
      const p = parts(s);
      return p.length !== 2 || !isIPText(p[0]!) || !DIGITS.test(p[1]!) || u(p[1]!) <= U16;
    },
    [`${two} || !${G}.matches(${num}) || !${L}.matches(${num}) || uint(${G}) <= 65535u || (uint(${G}) <= 4294967295u && uint(${L}) <= 65535u)`]:
      (s) => {
        const p = parts(s);
        if (p.length !== 2 || !DIGITS.test(p[0]!) || !DIGITS.test(p[1]!)) return true;
        return u(p[0]!) <= U16 || (u(p[0]!) <= U32 && u(p[1]!) <= U16);
      },
    [`${two} || !${G}.matches(${num}) || !${L}.matches(${num}) || uint(${G}) > 65535u || uint(${L}) <= 4294967295u`]: (
      s,
    ) => {
      const p = parts(s);
      if (p.length !== 2 || !DIGITS.test(p[0]!) || !DIGITS.test(p[1]!)) return true;
      return u(p[0]!) > U16 || u(p[1]!) <= U32;
    },
  };
  if (wildcard) {
    set[`${two} || ${G} == '*' || isIP(${G}) || ${G}.matches(${num})`] = (s) => {
      const p = parts(s);
      return p.length !== 2 || p[0] === '*' || isIPText(p[0]!) || DIGITS.test(p[0]!);
    };
    set[`${two} || ${G} != '*' || !${L}.matches(${num}) || uint(${L}) <= 4294967295u`] = (s) => {
      const p = parts(s);
      return p.length !== 2 || p[0] !== '*' || !DIGITS.test(p[1]!) || u(p[1]!) <= U32;
    };
  } else {
    set[`${two} || isIP(${G}) || ${G}.matches(${num})`] = (s) => {
      const p = parts(s);
      return p.length !== 2 || isIPText(p[0]!) || DIGITS.test(p[0]!);
    };
  }
  return set;
}

const RULES = new Map<string, CelImpl>();
function add(rule: string, impl: CelImpl): void {
  // A rule text shared by several rule sets (RD, import RT, export RT) means the same thing in each.
  const key = normalizeRule(rule);
  if (!RULES.has(key)) RULES.set(key, impl);
}

// Immutability (BGPPeer.spec.enableGracefulRestart, Service*Status status fields).
add('self == oldSelf', (self, oldSelf) => deepEqual(self, oldSelf));

// connectTime (BGPPeer v1beta2, FRRConfiguration neighbors).
add(
  'duration(self).getSeconds() >= 1 && duration(self).getSeconds() <= 65535',
  onString((s) => {
    const sec = durationSeconds(s);
    return sec !== null && sec >= 1 && sec <= 65535;
  }),
);
add(
  'duration(self).getMilliseconds() % 1000 == 0',
  onString((s) => {
    const ms = durationMillis(s);
    return ms !== null && ms % 1000 === 0;
  }),
);

// BGPAdvertisement: serviceSelectors only with the default aggregation lengths.
add(
  '!has(self.serviceSelectors) || size(self.serviceSelectors) == 0 || ((!has(self.aggregationLength) || self.aggregationLength == 32) && (!has(self.aggregationLengthV6) || self.aggregationLengthV6 == 128))',
  (self) => {
    if (!isObject(self)) return true;
    const sel = self.serviceSelectors;
    if (sel === undefined || (Array.isArray(sel) && sel.length === 0)) return true;
    const v4 = self.aggregationLength;
    const v6 = self.aggregationLengthV6;
    return (v4 === undefined || v4 === 32) && (v6 === undefined || v6 === 128);
  },
);

// FRRConfiguration EVPN route distinguishers and route targets.
for (const wildcard of [false, true]) {
  for (const [rule, f] of Object.entries(adminRuleSet(wildcard))) add(rule, onString(f));
}

/** The TypeScript equivalent of a CEL rule, or undefined when metalfrr has none. */
export function celImplementation(rule: string): CelImpl | undefined {
  return RULES.get(normalizeRule(rule));
}

/** Every rule text metalfrr implements (normalized). */
export function supportedRules(): string[] {
  return [...RULES.keys()].sort();
}
