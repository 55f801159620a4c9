// The agent's view of real FRR: FRRControl (operator/frr/vtysh.ts) behind the FRRBackend interface.
import type { FRRControl } from '../frr/vtysh.js';
import type { FRRBackend } from './frr-agent.js';
import type { FRRBFDPeer, FRRSession } from './frr-status.js';

export function frrControlBackend(ctl: FRRControl): FRRBackend {
  return {
    async apply(config) {
      const r = await ctl.apply(config);
      // a reload that returned but left FRR running something else than asked is not applied
      const running = r.runningConfig !== undefined ? { runningConfig: r.runningConfig } : {};
      if (r.ok && r.converged === false) return { ok: false, output: `FRR did not converge to the desired configuration; still differing:\n${r.residual ?? ''}`, ...running };
      return { ok: r.ok, output: r.output, checkFailed: r.rejected, ...running };
    },
    runningConfig: () => ctl.runningConfig(),
    async sessions(): Promise<FRRSession[]> {
      return (await ctl.neighbors()).map((s) => ({
        vrf: s.vrf,
        peer: s.peer,
        bgpState: s.bgpState,
        remoteAs: s.remoteAs ?? undefined,
        bfdStatus: s.bfdStatus && s.bfdStatus !== 'N/A' ? s.bfdStatus : undefined,
        messageStats: s.messageStats,
        sentPrefixes: s.sentPrefixes,
        acceptedPrefixes: s.acceptedPrefixes,
      }));
    },
    async bfdPeers(): Promise<FRRBFDPeer[]> {
      return (await ctl.bfdPeers()).map((p) => ({
        vrf: p.vrf || 'default',
        peer: p.peer,
        status: p.status,
        controlPacketInput: p.counters?.controlPacketInput,
        controlPacketOutput: p.counters?.controlPacketOutput,
        echoPacketInput: p.counters?.echoPacketInput,
        echoPacketOutput: p.counters?.echoPacketOutput,
        sessionUpEvents: p.counters?.sessionUp,
        sessionDownEvents: p.counters?.sessionDown,
        zebraNotifications: p.counters?.zebraNotifications,
      }));
    },
  };
}
