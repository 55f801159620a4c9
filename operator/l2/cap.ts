// The libpcap binding `cap` (CommonJS, native), loaded lazily so that importing the responder never
// fails where the addon is not built; a raw Ethernet link = one pcap handle (promiscuous, immediate
// mode, non-blocking) on one interface, used to receive filtered frames and to send frames.
import { createRequire } from 'node:module';

export interface RawLink {
  send(frame: Buffer): void;
  close(): void;
}

export type OpenLink = (ifname: string, filter: string, onFrame: (frame: Buffer) => void) => RawLink;

interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
  send(buffer: Buffer, nBytes?: number): void;
  on(ev: 'packet', fn: (nbytes: number, truncated: boolean) => void): void;
}

interface CapModule {
  Cap: new () => CapHandle;
}

let loaded: CapModule | null = null;
let loadError: string | null = null;

/** The addon, or throws with why it cannot be loaded. */
export function loadCap(): CapModule {
  if (loaded) return loaded;
  if (loadError) throw new Error(loadError);
  try {
    const require = createRequire(import.meta.url);
    loaded = require('cap') as CapModule;
    return loaded;
  } catch (e) {
    loadError = `the libpcap binding "cap" cannot be loaded: ${e instanceof Error ? e.message : String(e)}`;
    throw new Error(loadError);
  }
}

/** Why raw links cannot be opened here, or null (does not open anything). */
export function capMissing(): string | null {
  try {
    loadCap();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Opens `ifname` with a BPF filter; frames are handed to onFrame synchronously (the buffer is reused). */
export const openCapLink: OpenLink = (ifname, filter, onFrame) => {
  const { Cap } = loadCap();
  const cap = new Cap();
  const buf = Buffer.alloc(65536);
  const linkType = cap.open(ifname, filter, 1 << 20, buf);
  if (linkType !== 'ETHERNET') {
    cap.close();
    throw new Error(`${ifname}: link type ${linkType}, not Ethernet`);
  }
  cap.on('packet', (n) => onFrame(buf.subarray(0, n)));
  let open = true;
  return {
    send: (frame) => {
      if (open) cap.send(frame, frame.length);
    },
    close: () => {
      if (!open) return;
      open = false;
      cap.close();
    },
  };
};
