import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from './main.js';
import { parseControllerArgs } from './controller.js';
import { UsageError } from './io.js';

test('controller args: defaults and options', () => {
  assert.deepEqual(parseControllerArgs({}, []), { namespace: 'metallb-system', kubeconfig: undefined, lbClass: '', healthPort: 7472, leaderElect: false });
  assert.deepEqual(parseControllerArgs({ namespace: 'lb', kubeconfig: '/k', 'lb-class': 'x', 'health-port': '0', 'leader-elect': true }, []), {
    namespace: 'lb',
    kubeconfig: '/k',
    lbClass: 'x',
    healthPort: 0,
    leaderElect: true,
  });
  assert.throws(() => parseControllerArgs({ 'health-port': 'abc' }, []), UsageError);
  assert.throws(() => parseControllerArgs({}, ['extra']), UsageError);
});

test('metalfrr controller --help and the command table', async () => {
  const out: string[] = [];
  const io = { out: (s: string) => out.push(s), err: (s: string) => out.push(s) };
  assert.equal(await main(['controller', '--help'], io), 0);
  assert.match(out.join('\n'), /usage: metalfrr controller/);
  out.length = 0;
  assert.equal(await main(['--help'], io), 0);
  assert.match(out.join('\n'), /controller/);
});
