import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommandIO } from './io.js';
import { main } from './main.js';
import { parseSpeakerArgs } from './speaker.js';

function capture(): CommandIO & { outText: string[]; errText: string[] } {
  const outText: string[] = [];
  const errText: string[] = [];
  return { outText, errText, out: (s: string) => void outText.push(s), err: (s: string) => void errText.push(s) } as CommandIO & { outText: string[]; errText: string[] };
}

test('speaker options: defaults, frr-k8s namespace from the flag, the env or the MetalLB namespace', () => {
  assert.deepEqual(parseSpeakerArgs({ node: 'n1' }, [], {}), {
    node: 'n1',
    namespace: 'metallb-system',
    frrk8sNamespace: 'metallb-system',
    kubeconfig: undefined,
    lbClass: '',
    ignoreExcludeLB: false,
    secretPassthrough: false,
    healthPort: 17472,
    l2Responder: 'auto',
    leaseDurationSeconds: 1,
    leaseRenewMs: 300,
  });
  const l2 = parseSpeakerArgs({ node: 'n1', 'l2-responder': 'off', 'lease-duration': '3', 'lease-renew-ms': '1000' }, [], {});
  assert.deepEqual([l2.l2Responder, l2.leaseDurationSeconds, l2.leaseRenewMs], ['off', 3, 1000]);
  assert.throws(() => parseSpeakerArgs({ node: 'n1', 'lease-renew-ms': '1000' }, [], {}), /--lease-renew-ms must be at least 50 and shorter than --lease-duration/);
  assert.throws(() => parseSpeakerArgs({ node: 'n1', 'l2-responder': 'maybe' }, [], {}), /--l2-responder must be auto or off/);
  assert.equal(parseSpeakerArgs({ node: 'n1' }, [], { FRRK8S_NAMESPACE: 'frr-k8s-system' }).frrk8sNamespace, 'frr-k8s-system');
  const a = parseSpeakerArgs({ node: 'n1', 'frrk8s-namespace': 'x', 'lb-class': 'c', 'ignore-exclude-lb': true, 'health-port': '0' }, [], {});
  assert.deepEqual([a.frrk8sNamespace, a.lbClass, a.ignoreExcludeLB, a.healthPort], ['x', 'c', true, 0]);
  assert.throws(() => parseSpeakerArgs({}, [], {}), /--node is required/);
});

test('metalfrr speaker --help and usage errors', async () => {
  const io = capture();
  assert.equal(await main(['speaker', '--help'], io), 0);
  assert.match(io.outText.join('\n'), /usage: metalfrr speaker --node NAME/);
  const bad = capture();
  assert.equal(await main(['speaker', '--bogus'], bad), 2);
  assert.match(bad.errText.join('\n'), /metalfrr speaker:/);
});
