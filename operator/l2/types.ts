// The contract between the speaker's L2 ownership decisions (operator/speaker/l2.ts,
// operator/controllers/speaker.ts) and the ARP/NDP responder that puts them on the wire (operator/l2/).

/** One IP this node owns in L2 mode, and where to answer for it. */
export interface L2Announcement {
  /** IPv4 or IPv6 address, canonical text form */
  ip: string;
  /** interface names from the L2Advertisements (union); empty = every eligible interface */
  interfaces: string[];
}

/** What the responder counts, per IP (metallb_layer2_requests_received / responses_sent / gratuitous_sent). */
export interface L2Counters {
  request(ip: string): void;
  response(ip: string): void;
  gratuitous(ip: string): void;
}

export interface L2Responder {
  /**
   * The complete set of IPs this node owns now. The responder diffs it against the previous set: an IP
   * that appears starts being answered at once and gets gratuitous ARP / unsolicited NA right away, then
   * every 1.1 s until 5 s after this call; an IP that disappears stops being answered at once (nothing
   * is sent). Passing an IP again with other interfaces moves it; passing the same set is a no-op.
   */
  set(announcements: L2Announcement[]): void;
  /** Stops answering everything and releases sockets / child processes. */
  close(): Promise<void>;
}
