// Parsers for FRR's JSON state output (frr-k8s spec §5.3, §6): BGP VRFs, neighbors, BFD peers and
// their counters, `show daemons`. Pure and tolerant: FRR omits fields freely (no addressFamilyInfo
// before a session is configured for a family, no peerBfdInfo without BFD), so every field has a
// default and unexpected shapes give empty results rather than exceptions.

export interface BGPMessageStats {
  opensSent: number;
  opensRecv: number;
  notificationsSent: number;
  notificationsRecv: number;
  updatesSent: number;
  updatesRecv: number;
  keepalivesSent: number;
  keepalivesRecv: number;
  routeRefreshSent: number;
  routeRefreshRecv: number;
  totalSent: number;
  totalRecv: number;
}

export interface BGPSession {
  /** FRR's VRF name (`default` for the default VRF) */
  vrf: string;
  /** neighbor key as FRR reports it: an address, or an interface name for unnumbered peers */
  peer: string;
  /** Idle, Connect, Active, OpenSent, OpenConfirm, Established (or whatever FRR reports) */
  bgpState: string;
  established: boolean;
  remoteAs: number | null;
  localAs: number | null;
  remoteRouterId: string;
  /** remote TCP port, -1 when not connected */
  portForeign: number;
  messageStats: BGPMessageStats;
  /** sentPrefixCounter summed over the address families */
  sentPrefixes: number;
  /** acceptedPrefixCounter summed over the address families */
  acceptedPrefixes: number;
  /** `peerBfdInfo.status` (Up, Down, ...), or `N/A` without BFD */
  bfdStatus: string;
}

export interface BFDCounters {
  controlPacketInput: number;
  controlPacketOutput: number;
  echoPacketInput: number;
  echoPacketOutput: number;
  sessionUp: number;
  sessionDown: number;
  zebraNotifications: number;
}

export interface BFDPeer {
  peer: string;
  local: string;
  vrf: string;
  interface: string;
  multihop: boolean;
  /** up, down, init, adm-down */
  status: string;
  up: boolean;
  receiveInterval: number;
  transmitInterval: number;
  echoReceiveInterval: number;
  echoTransmitInterval: number;
  detectMultiplier: number;
  /** from `show bfd ... peers counters json`, when available */
  counters?: BFDCounters;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown, dflt = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : dflt);
const str = (v: unknown, dflt = ''): string => (typeof v === 'string' ? v : dflt);

/** Parses JSON text from vtysh; FRR prints `{}`/`[]` or nothing when there is no data. */
export function parseJSON(text: string): unknown {
  const t = text.trim();
  if (t === '') return undefined;
  return JSON.parse(t);
}

/**
 * VRF names with BGP instances, from `show bgp vrfs json` (`{vrfs: {name: ...}}`) or from
 * `show bgp vrf all json` (`{name: {...}}`, what frr-k8s uses). Default first.
 */
export function parseBGPVRFs(data: unknown): string[] {
  if (!isObj(data)) return [];
  const keys = isObj(data.vrfs) ? Object.keys(data.vrfs) : Object.keys(data).filter((k) => isObj(data[k]));
  return keys.sort((a, b) => (a === 'default' ? -1 : b === 'default' ? 1 : a.localeCompare(b)));
}

const MESSAGE_FIELDS: (keyof BGPMessageStats)[] = [
  'opensSent',
  'opensRecv',
  'notificationsSent',
  'notificationsRecv',
  'updatesSent',
  'updatesRecv',
  'keepalivesSent',
  'keepalivesRecv',
  'routeRefreshSent',
  'routeRefreshRecv',
  'totalSent',
  'totalRecv',
];

/** Sessions of one VRF from `show bgp vrf <vrf> neighbors json` (an object keyed by neighbor). */
export function parseBGPNeighbors(vrf: string, data: unknown): BGPSession[] {
  if (!isObj(data)) return [];
  const out: BGPSession[] = [];
  for (const [peer, raw] of Object.entries(data)) {
    if (!isObj(raw) || typeof raw.bgpState !== 'string') continue; // skip non-neighbor keys
    const ms = isObj(raw.messageStats) ? raw.messageStats : {};
    const messageStats = Object.fromEntries(MESSAGE_FIELDS.map((f) => [f, num(ms[f])])) as unknown as BGPMessageStats;
    let sent = 0;
    let accepted = 0;
    if (isObj(raw.addressFamilyInfo)) {
      for (const af of Object.values(raw.addressFamilyInfo)) {
        if (!isObj(af)) continue;
        sent += num(af.sentPrefixCounter);
        accepted += num(af.acceptedPrefixCounter);
      }
    }
    const bfd = isObj(raw.peerBfdInfo) ? str(raw.peerBfdInfo.status) : '';
    out.push({
      vrf,
      peer,
      bgpState: raw.bgpState,
      established: raw.bgpState === 'Established',
      remoteAs: typeof raw.remoteAs === 'number' ? raw.remoteAs : null,
      localAs: typeof raw.localAs === 'number' ? raw.localAs : null,
      remoteRouterId: str(raw.remoteRouterId),
      portForeign: num(raw.portForeign, -1),
      messageStats,
      sentPrefixes: sent,
      acceptedPrefixes: accepted,
      bfdStatus: bfd === '' ? 'N/A' : bfd,
    });
  }
  return out.sort((a, b) => a.peer.localeCompare(b.peer));
}

function peerKey(p: Obj): string {
  return [str(p.vrf, 'default'), str(p.peer), str(p.local), str(p.interface), p.multihop === true ? 'mh' : 'sh'].join('|');
}

/** BFD sessions from `show bfd [vrf V] peers json`, with counters from `... peers counters json` when given. */
export function parseBFDPeers(peers: unknown, counters?: unknown): BFDPeer[] {
  if (!Array.isArray(peers)) return [];
  const byKey = new Map<string, Obj>();
  if (Array.isArray(counters)) for (const c of counters) if (isObj(c)) byKey.set(peerKey(c), c);
  const out: BFDPeer[] = [];
  for (const p of peers) {
    if (!isObj(p) || typeof p.peer !== 'string') continue;
    const status = str(p.status);
    const c = byKey.get(peerKey(p));
    out.push({
      peer: p.peer,
      local: str(p.local),
      vrf: str(p.vrf, 'default'),
      interface: str(p.interface),
      multihop: p.multihop === true,
      status,
      up: status === 'up',
      receiveInterval: num(p['receive-interval']),
      transmitInterval: num(p['transmit-interval']),
      echoReceiveInterval: num(p['echo-receive-interval']),
      echoTransmitInterval: num(p['echo-transmit-interval']),
      detectMultiplier: num(p['detect-multiplier']),
      ...(c
        ? {
            counters: {
              controlPacketInput: num(c['control-packet-input']),
              controlPacketOutput: num(c['control-packet-output']),
              echoPacketInput: num(c['echo-packet-input']),
              echoPacketOutput: num(c['echo-packet-output']),
              sessionUp: num(c['session-up']),
              sessionDown: num(c['session-down']),
              zebraNotifications: num(c['zebra-notifications']),
            },
          }
        : {}),
    });
  }
  return out;
}

/** Daemon names from `show daemons` (one line, blank-separated). */
export function parseDaemons(text: string): string[] {
  return text.split(/\s+/).filter((w) => /^[a-z0-9]+$/.test(w));
}
