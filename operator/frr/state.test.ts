import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBFDPeers, parseBGPNeighbors, parseBGPVRFs, parseDaemons, parseJSON } from './state.js';

// shapes as printed by FRR 8.4.4 (trimmed)
const NEIGHBORS = {
  '10.1.1.1': {
    remoteAs: 3,
    localAs: 64500,
    remoteRouterId: '0.0.0.0',
    bgpState: 'Active',
    messageStats: { opensSent: 0, opensRecv: 0, updatesSent: 0, totalSent: 0, totalRecv: 0 },
    addressFamilyInfo: { ipv4Unicast: { commAttriSentToNbr: 'extendedAndStandard', acceptedPrefixCounter: 0 } },
    portForeign: -1,
  },
  '10.196.0.1': {
    remoteAs: 64501,
    localAs: 64500,
    remoteRouterId: '10.196.0.1',
    bgpState: 'Established',
    messageStats: { opensSent: 2, opensRecv: 2, notificationsSent: 1, notificationsRecv: 0, updatesSent: 3, updatesRecv: 1, keepalivesSent: 4, keepalivesRecv: 4, routeRefreshSent: 0, routeRefreshRecv: 0, totalSent: 10, totalRecv: 7 },
    addressFamilyInfo: { ipv4Unicast: { acceptedPrefixCounter: 2, sentPrefixCounter: 1 }, ipv6Unicast: { acceptedPrefixCounter: 1, sentPrefixCounter: 4 } },
    portForeign: 179,
    peerBfdInfo: { type: 'single hop', detectMultiplier: 3, status: 'Up' },
  },
};

test('neighbors: state, counters summed over address families, BFD status or N/A', () => {
  const s = parseBGPNeighbors('default', NEIGHBORS);
  assert.equal(s.length, 2);
  const [a, b] = s as [(typeof s)[0], (typeof s)[0]];
  assert.deepEqual(
    { peer: a.peer, state: a.bgpState, est: a.established, bfd: a.bfdStatus, sent: a.sentPrefixes, acc: a.acceptedPrefixes, port: a.portForeign, notif: a.messageStats.notificationsSent },
    { peer: '10.1.1.1', state: 'Active', est: false, bfd: 'N/A', sent: 0, acc: 0, port: -1, notif: 0 },
  );
  assert.equal(b.vrf, 'default');
  assert.equal(b.established, true);
  assert.equal(b.remoteAs, 64501);
  assert.equal(b.sentPrefixes, 5);
  assert.equal(b.acceptedPrefixes, 3);
  assert.equal(b.bfdStatus, 'Up');
  assert.equal(b.messageStats.totalSent, 10);
  assert.equal(b.messageStats.keepalivesRecv, 4);
  // garbage in, nothing out
  assert.deepEqual(parseBGPNeighbors('default', undefined), []);
  assert.deepEqual(parseBGPNeighbors('default', { warning: 'Default BGP instance not found' }), []);
});

test('VRF names from `show bgp vrfs json` and from `show bgp vrf all json`, default first', () => {
  assert.deepEqual(parseBGPVRFs({ vrfs: { red: {}, default: {} }, totalVrfs: 2 }), ['default', 'red']);
  assert.deepEqual(parseBGPVRFs({ blue: { vrfId: 5 }, default: { vrfId: 0 } }), ['default', 'blue']);
  assert.deepEqual(parseBGPVRFs(parseJSON('')), []);
});

test('BFD peers with their counters', () => {
  const peers = [{ multihop: false, peer: '10.196.0.1', local: '10.196.0.11', vrf: 'default', interface: 'eth0', status: 'up', 'receive-interval': 100, 'transmit-interval': 100, 'echo-receive-interval': 50, 'echo-transmit-interval': 0, 'detect-multiplier': 3 }];
  const counters = [{ multihop: false, peer: '10.196.0.1', local: '10.196.0.11', vrf: 'default', interface: 'eth0', 'control-packet-input': 5, 'control-packet-output': 6, 'echo-packet-input': 0, 'echo-packet-output': 0, 'session-up': 1, 'session-down': 0, 'zebra-notifications': 2 }];
  const [p] = parseBFDPeers(peers, counters);
  assert.equal(p!.up, true);
  assert.equal(p!.receiveInterval, 100);
  assert.deepEqual(p!.counters, { controlPacketInput: 5, controlPacketOutput: 6, echoPacketInput: 0, echoPacketOutput: 0, sessionUp: 1, sessionDown: 0, zebraNotifications: 2 });
  assert.equal(parseBFDPeers([{ ...peers[0], status: 'down' }])[0]!.counters, undefined);
  assert.deepEqual(parseBFDPeers({}), []);
});

test('show daemons', () => {
  assert.deepEqual(parseDaemons(' zebra bgpd bfdd\n'), ['zebra', 'bgpd', 'bfdd']);
});
