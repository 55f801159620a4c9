import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allows, uncovered } from './rbac.js';

test('rules cover what they name, wildcards cover everything, resourceNames-restricted rules do not cover', () => {
  const granted = [
    { apiGroups: [''], resources: ['services', 'services/status'], verbs: ['get', 'list', 'watch', 'patch'] },
    { apiGroups: ['apps'], resources: ['*'], verbs: ['*'] },
    { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['only-this'] },
  ];
  assert.equal(allows(granted, '', 'services', 'list'), true);
  assert.equal(allows(granted, 'apps', 'daemonsets', 'delete'), true);
  assert.equal(allows(granted, '', 'secrets', 'get'), false);
  assert.deepEqual(
    uncovered(granted, [
      { apiGroups: [''], resources: ['services', 'secrets'], verbs: ['get', 'delete'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['create'] },
    ]),
    ['core/secrets delete', 'core/secrets get', 'core/services delete'],
  );
});
