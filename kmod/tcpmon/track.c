// SPDX-License-Identifier: GPL-2.0
/*
 * track.c - dual-side TCP tracking: states, windows, RSTs, events
 *
 * DOC: Theory of Operation
 *
 * A flow has two sides, client and server, and the monitor keeps for each
 * the TCP state its endpoint must be in, as far as the packets show it
 * (mOS's model).  A packet from side S to side R updates S first, as its
 * sender, and raises S's events at hook %TM_HK_SND; then R, as its
 * receiver, with R's events at %TM_HK_RCV.
 *
 * Sender update: a SYN records S's initial sequence number and options
 * (client: CLOSED -> SYN_SENT); a FIN records S's FIN (ESTABLISHED ->
 * FIN_WAIT_1, CLOSE_WAIT -> LAST_ACK); an accepted RST closes S.
 *
 * Receiver update: a SYN opens R (LISTEN -> SYN_RCVD, or SYN_SENT ->
 * SYN_RCVD in a simultaneous open); a SYN-ACK acknowledging R's SYN
 * establishes R; an ACK of R's SYN or FIN moves R on (SYN_RCVD ->
 * ESTABLISHED, FIN_WAIT_1 -> FIN_WAIT_2, CLOSING -> TIME_WAIT, LAST_ACK ->
 * CLOSED); payload enters R's stream (reasm.c); S's FIN, once the stream
 * has reached it, moves R (ESTABLISHED -> CLOSE_WAIT, FIN_WAIT_1 ->
 * CLOSING, FIN_WAIT_2 -> TIME_WAIT); an accepted RST closes R.
 *
 * Event order at each hook, every event after the side's state was
 * updated: STATE_CHANGE (one per transition), CONN_START, CONN_SETUP,
 * ERROR, then at %TM_HK_RCV the stream bytes and NEW_DATA (%TM_HK_NULL),
 * then REXMIT, PKT_IN, CONN_END.  A side's CONN_END is
 * raised exactly once, when it closes (FIN handshake, RST) or when the
 * flow ends without a packet (timeout, reuse, flush: at %TM_HK_RCV).
 *
 * Windows, in the manner of nf_conntrack's TCP tracking (Guido van
 * Rooij's "Real Stateful TCP Packet Filtering in IP Filter"): for each
 * side, the highest sequence number it sent (&tm_half.snd_end), the right
 * edge of the window its peer granted (&tm_half.snd_maxend) and the
 * largest window it advertised (&tm_half.snd_maxwin).  A segment is in the
 * window when it starts at or before the granted edge, ends after
 * snd_end minus the receiver's largest window, and ends at or before the
 * sender's FIN.  A segment outside it is
 * ignored, except for PKT_IN, and reported (%TM_ERR_OOW): the receiver
 * would drop it, and bytes an attacker sends there must not reach the
 * stream.  Window scaling applies when both SYNs carried the option; the
 * shift is capped at 14.  Flows picked up mid-stream never learnt their
 * scale and are not window-checked.
 *
 * RSTs (RFC 5961, 3.2): an RST at exactly the receiver's next expected
 * sequence number closes both sides, as the receiver would accept it; in
 * SYN_SENT, one that acknowledges the SYN.  An RST inside the window but
 * not at its left edge is reported (%TM_ERR_RST_INWIN): the receiver
 * answers it with a challenge ACK and stays open, and so does the flow,
 * both sides untouched; a peer that really reset answers the challenge
 * ACK with an exact RST.  An RST outside the window is reported
 * (%TM_ERR_RST_OOW) and ignored.
 *
 * What the receiver accepts (tm_accept(), Documentation/tcpmon.rst): a
 * segment its receiving Linux TCP would discard changes nothing and is
 * reported with the reason (%TM_ERR_NOACK, %TM_ERR_ACK_UNSENT,
 * %TM_ERR_ACK_OLD, %TM_ERR_PAWS) and counted (%TM_STAT_NACC_*): no ACK;
 * an ACK of what the receiver never sent or from before its window (RFC
 * 5961 5.2); a TSval older than the receiver's ts_recent (PAWS, RFC 7323)
 * when both SYNs had timestamps.  A SYN's payload enters the stream only
 * with a Fast Open cookie and a SYN-ACK that acknowledges it (held in the
 * store until then; %TM_ERR_SYN_DATA otherwise).  A FIN takes effect when
 * the stream reaches it, and is forgotten if in-order bytes go past it
 * first (%TM_ERR_FIN).  The urgent byte is noted here (tm_urg()) and
 * stepped over when the stream reaches it (reasm.c, %TM_ERR_URG).  A flow
 * picked up mid-stream has its ACKs and timestamps unchecked: it never
 * saw what they are checked against.  A refused segment with nothing the
 * stream lacks (a late duplicate) is counted and stays a retransmission,
 * without an error.
 *
 * Retransmissions (%TM_EV_REXMIT): a SYN or SYN-ACK with the side's known
 * initial sequence number, a FIN sent again, and a segment with bytes the
 * receiving stream already had, delivered or stored.  A segment that
 * only arrives late (reordered before the monitor) is not one.  The
 * event is raised at both hooks, %TM_HK_SND for the sender and
 * %TM_HK_RCV for the receiver, and counted once (%TM_STAT_REXMIT).
 *
 * Fast path (tm_track_fast()): as Linux's header prediction, the common
 * segment of an established connection (ACK only, at the receiver's
 * rcv_nxt with an empty store, no option or the aligned timestamps with
 * a TSval not older than ts_recent, the handshake seen) is tracked with
 * only the checks whose outcome is not known under these conditions,
 * with the same updates and events as the general path.
 *
 * Timeouts: a flow expires when it has been idle longer than the longer
 * of its two sides' state timeouts (a side that is still open keeps it),
 * or than &tm_table_cfg.timeout_rst after mos_tm_reset().
 */

#include "tm_int.h"

#define TM_NSEC_PER_SEC		1000000000ULL

/**
 * tm_wscale() - window scale that applies to a side's advertised windows
 * @f: flow
 * @side: the advertising side
 *
 * Return: the side's shift, when both sides offered scaling; 0 otherwise.
 */
static unsigned int tm_wscale(const struct tm_flow *f, unsigned int side)
{
	if ((f->half[0].flags & TM_HF_WSCALE) &&
	    (f->half[1].flags & TM_HF_WSCALE))
		return f->half[side].wscale;
	return 0;
}

static void tm_set_state(struct tm_table *t, struct tm_flow *f,
			 unsigned int side, unsigned int hook,
			 unsigned int state, const struct tm_src *src,
			 const struct tm_pkt *p)
{
	struct tm_half *h = &f->half[side];
	struct tm_ev ev = {
		.type = TM_EV_STATE_CHANGE,
		.hook = hook,
		.side = side,
		.old_state = h->state,
	};

	if (h->state == state)
		return;
	h->state = state;
	tm_emit_ev(t, f, &ev, src, p);
}

static void tm_start(struct tm_table *t, struct tm_flow *f, unsigned int side,
		     unsigned int hook, const struct tm_src *src,
		     const struct tm_pkt *p)
{
	if (f->half[side].flags & (TM_HF_STARTED | TM_HF_ENDED))
		return;
	f->half[side].flags |= TM_HF_STARTED;
	tm_emit(t, f, TM_EV_CONN_START, hook, side, src, p);
}

static void tm_end(struct tm_table *t, struct tm_flow *f, unsigned int side,
		   unsigned int hook, unsigned int reason,
		   const struct tm_src *src, const struct tm_pkt *p)
{
	struct tm_ev ev = {
		.type = TM_EV_CONN_END,
		.hook = hook,
		.side = side,
		.reason = reason,
	};

	if (!(f->half[side].flags & TM_HF_STARTED))
		return;
	f->half[side].flags &= ~TM_HF_STARTED;
	f->half[side].flags |= TM_HF_ENDED;
	tm_emit_ev(t, f, &ev, src, p);
}

static u64 tm_stream_off(const struct tm_half *r, u32 seq)
{
	u32 nxt = r->rcv_nxt;
	s64 off;

	if (!(r->flags & TM_HF_RCV_SYNCED))
		return 0;
	/* The peer's FIN took a sequence number, and no stream offset. */
	if ((r->flags & TM_HF_FIN_RCVD) && !tm_after(seq, nxt - 1))
		nxt--;
	off = (s64)r->rcv_off + (s32)(seq - nxt);
	return off < 0 ? 0 : off;
}

/**
 * tm_new_data_ev() - raise NEW_DATA for bytes that entered a stream
 * @t: table
 * @f: flow, locked
 * @side: receiving side
 * @off0: its stream offset before them
 * @src: the packet, or NULL
 * @p: its headers, or NULL
 */
static void tm_new_data_ev(struct tm_table *t, struct tm_flow *f,
			   unsigned int side, u64 off0,
			   const struct tm_src *src, const struct tm_pkt *p)
{
	struct tm_ev ev = {
		.type = TM_EV_NEW_DATA,
		.hook = TM_HK_NULL,
		.side = side,
		.off = off0,
		.len = (u32)(f->half[side].rcv_off - off0),
	};

	tm_emit_ev(t, f, &ev, src, p);
}

/* tm_new_data_ev() if bytes entered: inline, as most packets bring none */
static inline void tm_new_data(struct tm_table *t, struct tm_flow *f,
			       unsigned int side, u64 off0,
			       const struct tm_src *src,
			       const struct tm_pkt *p)
{
	if (f->half[side].rcv_off != off0)
		tm_new_data_ev(t, f, side, off0, src, p);
}

static void tm_rexmit(struct tm_table *t, struct tm_flow *f,
		      unsigned int hook, unsigned int side, u64 off, u32 len,
		      const struct tm_src *src, const struct tm_pkt *p)
{
	struct tm_ev ev = {
		.type = TM_EV_REXMIT,
		.hook = hook,
		.side = side,
		.off = off,
		.len = len,
	};

	tm_emit_ev(t, f, &ev, src, p);
}

/**
 * tm_acks_syn() - does an acknowledgment number cover a side's SYN?
 * @h: the side that sent the SYN
 * @ack: acknowledgment number
 *
 * Return: true when @ack acknowledges the SYN and nothing the side did not
 * send (RFC 9293 3.10.7.3: SND.UNA < SEG.ACK =< SND.NXT): the SYN alone,
 * or the SYN and its data (TCP Fast Open).
 */
static bool tm_acks_syn(const struct tm_half *h, u32 ack)
{
	return (h->flags & TM_HF_SYN_SENT) && tm_after(ack, h->isn) &&
	       !tm_after(ack, h->snd_end);
}

/**
 * tm_rst_check() - would the receiver accept this RST?
 * @f: flow
 * @s: sending side
 * @p: the RST
 *
 * The receiver's rcv_nxt is the stream's, or its last acknowledgment when
 * that is later: it acknowledged bytes the monitor did not see (capture
 * loss), and an RST at its acknowledgment is the exact one.
 *
 * Return: %TM_ERR_NONE if it would, %TM_ERR_RST_INWIN if it would answer
 * with a challenge ACK, %TM_ERR_RST_OOW if it would ignore it.
 */
static unsigned int tm_rst_check(const struct tm_flow *f, unsigned int s,
				 const struct tm_pkt *p)
{
	const struct tm_half *S = &f->half[s], *R = &f->half[!s];
	u32 nxt = R->rcv_nxt, win;

	if (R->state == TM_SYN_SENT)
		return (p->tcp_flags & TM_TCPF_ACK) &&
		       tm_acks_syn(R, p->ack_seq) ? TM_ERR_NONE : TM_ERR_RST_OOW;
	if ((R->aflags & TM_HA_ACKED) && tm_after(R->ack_max, nxt))
		nxt = R->ack_max;
	if (!(R->flags & TM_HF_RCV_SYNCED) || p->seq == nxt)
		return TM_ERR_NONE;
	win = 65535;
	if (S->flags & TM_HF_WIN_KNOWN)
		win = S->snd_maxend - nxt;
	if (tm_after(p->seq, nxt) &&
	    tm_before(p->seq, nxt + max_t(u32, win, 1)))
		return TM_ERR_RST_INWIN;
	return TM_ERR_RST_OOW;
}

/**
 * tm_in_window() - is a segment inside the window of its receiver?
 * @f: flow
 * @s: sending side
 * @p: the segment
 * @end: its last sequence number plus one (payload, FIN)
 *
 * Return: true when it is, or when the flow has no window to check.
 */
static bool tm_in_window(const struct tm_flow *f, unsigned int s,
			 const struct tm_pkt *p, u32 end)
{
	const struct tm_half *S = &f->half[s], *R = &f->half[!s];

	/*
	 * Nothing follows a FIN the receiver processed: it drops bytes past
	 * it (tcp_rcv_state_process(), step 7).  A FIN still behind a hole
	 * has not taken effect: the receiver queues what comes after it.
	 */
	if ((S->flags & TM_HF_FIN_SENT) && (R->flags & TM_HF_FIN_RCVD) &&
	    tm_after(end, S->fin_seq + 1))
		return false;
	if (f->flags & TM_FF_MIDSTREAM)
		return true;
	if ((S->flags & TM_HF_WIN_KNOWN) && tm_after(p->seq, S->snd_maxend))
		return false;
	if ((S->flags & TM_HF_SND_SYNCED) && R->snd_maxwin &&
	    !tm_after(end, S->snd_end - R->snd_maxwin - 1))
		return false;
	return true;
}

/* RFC 7323 5.5: a timestamp is valid for 24 days (TCP_PAWS_24DAYS) */
#define TM_PAWS_24DAYS		(60 * 60 * 24 * 24)
/* tcp_paws_check(): a TSval one below ts_recent still passes */
#define TM_PAWS_WINDOW		1

static u32 tm_secs(u64 now)
{
	return (u32)div_u64(now, TM_NSEC_PER_SEC);
}

/* Did both SYNs carry timestamps (tcp_parse_options()'s tstamp_ok)? */
static bool tm_ts_on(const struct tm_flow *f)
{
	return f->half[TM_CLI].aflags & f->half[TM_SVR].aflags & TM_HA_TS;
}

/**
 * tm_paws_ok() - does a timestamp pass a receiver's PAWS test?
 * @r: the receiver
 * @tsval: the segment's TSval
 * @win: how far before &tm_half.ts_recent it may be
 * @now: time, ns
 *
 * As tcp_paws_check(): within @win of ts_recent, or ts_recent older than
 * 24 days, or ts_recent zero (some stacks send 0 on SYNs).
 *
 * Return: true when it passes.
 */
static bool tm_paws_ok(const struct tm_half *r, u32 tsval, int win, u64 now)
{
	if (!(r->aflags & TM_HA_TS_RECENT))
		return true;
	if ((s32)(r->ts_recent - tsval) <= win)
		return true;
	if (tm_secs(now) - r->ts_stamp >= TM_PAWS_24DAYS)
		return true;
	return !r->ts_recent;
}

/**
 * tm_paws_applies() - does the tracker refuse what PAWS discards for a
 * receiver?
 * @t: table
 * @r: the receiving side
 *
 * As &tm_table_cfg.paws says (&enum tm_paws): a monitor that does not sit
 * at the receiver may see segments in another order, and take ts_recent
 * from one the receiver has not had yet; at the receiver's own host it
 * sees them as the receiver does.
 *
 * Return: true when it does.
 */
static bool tm_paws_applies(const struct tm_table *t, const struct tm_half *r)
{
	switch (READ_ONCE(t->cfg.paws)) {
	case TM_PAWS_ON:
		return true;
	case TM_PAWS_AUTO:
		return r->aflags & TM_HA_LOCAL;
	default:
		return false;
	}
}

/**
 * tm_accept() - would the receiver of a segment take it at all?
 * @f: flow
 * @s: sending side
 * @p: the segment, neither SYN nor RST
 * @o: its options, when timestamps are on
 * @now: time, ns
 *
 * The checks Linux makes before a segment's payload, FIN or ACK count,
 * in its order; only what the flow knows is checked (a flow picked up
 * mid-stream never saw the ISNs nor the timestamps negotiated).
 *
 * Return: %TM_ERR_NONE, or why the receiver discards the segment.
 */
static unsigned int tm_accept(const struct tm_flow *f, unsigned int s,
			      const struct tm_pkt *p, const struct tm_opts *o,
			      u64 now)
{
	const struct tm_half *S = &f->half[s], *R = &f->half[!s];
	u32 plen = p->l4len - p->doff;
	u32 una, win;

	/* tcp_rcv_established(), tcp_rcv_state_process(): no ACK, dropped */
	if (!(p->tcp_flags & TM_TCPF_ACK))
		return TM_ERR_NOACK;

	/*
	 * tcp_validate_incoming(): PAWS, when both SYNs had timestamps.  A
	 * pure ACK at rcv_nxt passes, as tcp_disordered_ack() lets a
	 * duplicate ACK through.
	 */
	if (o->has_ts && tm_ts_on(f) &&
	    !tm_paws_ok(R, o->tsval, TM_PAWS_WINDOW, now) &&
	    (plen || (p->tcp_flags & TM_TCPF_FIN) || p->seq != R->rcv_nxt))
		return TM_ERR_PAWS;

	/*
	 * tcp_ack(): an ACK of what the receiver never sent (after its
	 * snd_nxt), or from before its snd_una minus the largest window it
	 * was granted (RFC 5961 5.2; Linux bounds that window by the bytes
	 * acknowledged so far).  Known when the receiver's SYN was seen.
	 */
	if (R->state < TM_SYN_RCVD || !(R->flags & TM_HF_SYN_SENT) ||
	    (f->flags & TM_FF_MIDSTREAM))
		return TM_ERR_NONE;
	if (tm_after(p->ack_seq, R->snd_end))
		return TM_ERR_ACK_UNSENT;
	if (!(S->aflags & TM_HA_ACKED) || !tm_after(S->ack_max, R->isn))
		return TM_ERR_NONE;
	una = S->ack_max;
	win = min_t(u32, S->snd_maxwin, una - (R->isn + 1));
	if (tm_before(p->ack_seq, una - win))
		return TM_ERR_ACK_OLD;
	return TM_ERR_NONE;
}

/* The counter of each reason tm_accept() gives */
static unsigned int tm_nacc_stat(unsigned int err)
{
	switch (err) {
	case TM_ERR_NOACK:
		return TM_STAT_NACC_NOACK;
	case TM_ERR_ACK_UNSENT:
		return TM_STAT_NACC_ACK_UNSENT;
	case TM_ERR_ACK_OLD:
		return TM_STAT_NACC_ACK_OLD;
	default:
		return TM_STAT_NACC_PAWS;
	}
}

/**
 * tm_ts_update() - the receiver's ts_recent after a segment it took
 * @f: flow
 * @r: receiving side
 * @p: the segment
 * @o: its options
 * @now: time, ns
 *
 * A SYN's TSval is taken as it is.  Later, as tcp_replace_ts_recent():
 * only from a segment that starts at or before rcv_wup, the receiver's
 * last acknowledgment (its rcv_nxt when it has sent none), and does not
 * move ts_recent back.
 */
static void tm_ts_update(struct tm_flow *f, unsigned int r,
			 const struct tm_pkt *p, const struct tm_opts *o,
			 u64 now)
{
	struct tm_half *R = &f->half[r];
	u32 wup = (R->aflags & TM_HA_ACKED) ? R->ack_max : R->rcv_nxt;

	if (!o->has_ts)
		return;
	if (!(p->tcp_flags & TM_TCPF_SYN)) {
		if (!tm_ts_on(f) || !(R->flags & TM_HF_RCV_SYNCED) ||
		    tm_after(p->seq, wup) || !tm_paws_ok(R, o->tsval, 0, now))
			return;
	}
	R->ts_recent = o->tsval;
	R->ts_stamp = tm_secs(now);
	R->aflags |= TM_HA_TS_RECENT;
}

/**
 * tm_urg() - note the urgent byte a segment points to
 * @f: flow
 * @r: receiving side
 * @src: the segment, with URG set
 * @p: its headers
 *
 * As tcp_check_urg(): the byte at seq + urgent pointer - 1 (the BSD
 * reading Linux keeps by default, tcp_stdurg off), unless it is already
 * in the stream; one urgent byte at a time, a later pointer replacing an
 * earlier one whose byte has not arrived.
 */
static void tm_urg(struct tm_flow *f, unsigned int r, const struct tm_src *src,
		   const struct tm_pkt *p)
{
	struct tm_half *R = &f->half[r];
	const u8 *b;
	u8 buf[2];
	u32 ptr;

	b = src->read(src->pkt, p->l4off + offsetof(struct tcphdr, urg_ptr),
		      2, buf);
	if (!b || !(R->flags & TM_HF_RCV_SYNCED))
		return;
	ptr = (b[0] << 8) | b[1];
	ptr = p->seq + ptr - !!ptr;
	if (tm_before(ptr, R->rcv_nxt))
		return;
	if ((R->aflags & TM_HA_URG) && !tm_after(ptr, R->urg_seq))
		return;
	R->urg_seq = ptr;
	R->aflags |= TM_HA_URG;
}

/**
 * tm_syn_held() - a SYN-ACK says what became of the SYN's payload
 * @t: table
 * @f: flow, locked
 * @s: the side that sent the SYN-ACK, whose stream holds the payload
 * @src: the SYN-ACK
 * @p: its headers
 *
 * tcp_conn_request() takes a SYN's payload with a valid Fast Open cookie
 * only, and its SYN-ACK then acknowledges it (RFC 7413 3): an ACK of the
 * SYN alone means the bytes were dropped (the client sends them again);
 * an ACK of the SYN and bytes, that they entered the stream.
 */
static void tm_syn_held(struct tm_table *t, struct tm_flow *f, unsigned int s,
			const struct tm_src *src, const struct tm_pkt *p)
{
	struct tm_half *h = &f->half[s];
	const struct tm_half *peer = &f->half[!s];

	if (p->ack_seq == peer->isn + 1) {
		tm_stat_inc(t, TM_STAT_NACC_SYN_DATA);
		tm_error(t, f, s, TM_ERR_SYN_DATA, h->rcv_off,
			 peer->snd_end - peer->isn - 1, src, p);
		tm_reasm_free(t, f, s);
	} else if (tm_acks_syn(peer, p->ack_seq)) {
		tm_reasm_flush(t, f, s, NULL, src, p);
	} else {
		return;
	}
	h->aflags &= ~TM_HA_SYN_HELD;
}

/**
 * tm_syn_unheld() - drop a SYN's payload still held when its side ends
 * @t: table
 * @f: flow, locked
 * @side: the side whose stream holds it
 * @src: the packet that ends it, or NULL
 * @p: its headers, or NULL
 *
 * No SYN-ACK said the receiver took it: it never entered the stream.
 */
static void tm_syn_unheld(struct tm_table *t, struct tm_flow *f,
			  unsigned int side, const struct tm_src *src,
			  const struct tm_pkt *p)
{
	struct tm_half *h = &f->half[side];
	const struct tm_half *peer = &f->half[!side];

	if (!(h->aflags & TM_HA_SYN_HELD))
		return;
	h->aflags &= ~TM_HA_SYN_HELD;
	tm_stat_inc(t, TM_STAT_NACC_SYN_DATA);
	tm_error(t, f, side, TM_ERR_SYN_DATA, h->rcv_off,
		 peer->snd_end - peer->isn - 1, src, p);
	tm_reasm_free(t, f, side);
}

/**
 * tm_track_init() - set up the sides of a new flow
 * @f: flow, locked, just created from @p
 * @s: side that sent @p
 * @p: the flow's first packet
 * @midstream: picked up without a handshake: both sides are taken as
 *	established, @s's stream position from @p; or, from a SYN-ACK, the
 *	handshake goes on from there (the client in SYN_SENT)
 */
void tm_track_init(struct tm_flow *f, unsigned int s,
		   const struct tm_pkt *p, bool midstream)
{
	struct tm_half *S = &f->half[s], *R = &f->half[!s];

	if (!midstream) {
		f->half[TM_CLI].state = TM_CLOSED;
		f->half[TM_SVR].state = TM_LISTEN;
		return;
	}
	if (p->tcp_flags & TM_TCPF_SYN) {
		/* A SYN-ACK: the server answers the SYN its ACK names, which
		 * the client sent.  The packet itself then opens the server's
		 * side and syncs the client's stream at the server's ISN + 1.
		 */
		S->state = TM_LISTEN;
		R->state = TM_SYN_SENT;
		R->isn = p->ack_seq - 1;
		R->snd_end = p->ack_seq;
		R->flags |= TM_HF_SYN_SENT | TM_HF_SND_SYNCED;
		S->rcv_nxt = p->ack_seq;
		S->flags |= TM_HF_RCV_SYNCED;
		return;
	}
	S->state = TM_ESTABLISHED;
	R->state = TM_ESTABLISHED;
	S->snd_end = p->seq;
	S->flags |= TM_HF_SND_SYNCED;
	R->rcv_nxt = p->seq;
	R->flags |= TM_HF_RCV_SYNCED;
}

/**
 * tm_track_closed() - have both sides of a flow closed?
 * @f: flow, locked
 *
 * Return: true when the flow can go.
 */
bool tm_track_closed(const struct tm_flow *f)
{
	return f->half[TM_CLI].state == TM_CLOSED &&
	       f->half[TM_SVR].state == TM_CLOSED;
}

/**
 * tm_track_reusable() - does a SYN open a new connection on a flow's
 * 4-tuple?
 * @f: flow, locked
 * @s: side that sent the SYN
 * @p: the SYN (without ACK)
 *
 * Only the SYN's receiver decides: Linux opens a new connection for a SYN
 * when the 4-tuple has no socket (CLOSED) or a TIME_WAIT one
 * (tcp_timewait_state_process(), TCP_TW_SYN); a socket in any other state
 * takes the SYN as a segment of its connection (tcp_validate_incoming():
 * a challenge ACK or a duplicate ACK), whatever FIN its peer sent that it
 * has not processed yet.
 *
 * Return: true when the SYN's receiver is in TIME_WAIT or CLOSED and the
 * SYN is not a retransmission of one the flow saw.
 */
bool tm_track_reusable(const struct tm_flow *f, unsigned int s,
		       const struct tm_pkt *p)
{
	const struct tm_half *S = &f->half[s], *R = &f->half[!s];

	if ((S->flags & TM_HF_SYN_SENT) && p->seq == S->isn)
		return false;
	return R->state == TM_TIME_WAIT || R->state == TM_CLOSED;
}

/**
 * tm_track_deadline() - when a flow expires if it stays idle
 * @t: table
 * @f: flow, locked
 *
 * After the timeout of the later of its sides' states; a flow picked up
 * mid-stream that only one end was heard from (spoofed ACKs make these)
 * after the SYN_RCVD timeout at most, as a half-open one.
 *
 * Return: time, ns.
 */
u64 tm_track_deadline(const struct tm_table *t, const struct tm_flow *f)
{
	const struct tm_half *c = &f->half[TM_CLI], *s = &f->half[TM_SVR];
	u32 to = max(READ_ONCE(t->cfg.timeout[c->state]),
		     READ_ONCE(t->cfg.timeout[s->state]));

	if ((c->flags | s->flags) & TM_HF_RST_PENDING)
		to = min(to, READ_ONCE(t->cfg.timeout_rst));
	/* Picked up mid-stream, one end heard: idles out as a half-open flow */
	if ((f->flags & TM_FF_MIDSTREAM) &&
	    (f->flags & TM_FF_HEARD_BOTH) != TM_FF_HEARD_BOTH)
		to = min(to, READ_ONCE(t->cfg.timeout[TM_SYN_RCVD]));
	return f->last + to * TM_NSEC_PER_SEC;
}

/**
 * tm_read_lim() - how far a side's receiver is known to have taken its
 * stream
 * @f: flow
 * @side: receiving side
 *
 * Its highest acknowledgment: bytes the monitor stored before it reached
 * the receiver (what filled the hole passed the receiver, not the
 * monitor), bytes stored after it never left the receiver's out-of-order
 * queue for read().  A side whose acknowledgments the monitor never saw
 * (one direction of the traffic only) gives no limit: nothing tells.
 *
 * Return: the limit for tm_reasm_flush(), or NULL.
 */
static const u32 *tm_read_lim(const struct tm_flow *f, unsigned int side)
{
	const struct tm_half *h = &f->half[side];

	return (h->aflags & TM_HA_ACKED) ? &h->ack_max : NULL;
}

/**
 * tm_drain_side() - deliver what a side's receiver took of what it stores,
 * holes and the rest reported, and its NEW_DATA
 * @t: table
 * @f: flow, locked
 * @side: receiving side
 * @src: the current packet, or NULL
 * @p: its headers, or NULL
 */
static void tm_drain_side(struct tm_table *t, struct tm_flow *f,
			  unsigned int side, const struct tm_src *src,
			  const struct tm_pkt *p)
{
	u64 off0 = f->half[side].rcv_off;

	tm_syn_unheld(t, f, side, src, p);
	tm_reasm_flush(t, f, side, tm_read_lim(f, side), src, p);
	tm_new_data(t, f, side, off0, src, p);
}

/*
 * tm_fin_take() - the receiver @r takes its sender's FIN, at @rcv_nxt
 * (tcp_fin(): what waits after it is dropped, the state moves on)
 */
static void tm_fin_take(struct tm_table *t, struct tm_flow *f,
			unsigned int r, const struct tm_src *src,
			const struct tm_pkt *p)
{
	struct tm_half *R = &f->half[r];

	tm_reasm_free(t, f, r);
	R->rcv_nxt++;
	R->flags |= TM_HF_FIN_RCVD;
	if (R->state == TM_ESTABLISHED || R->state == TM_SYN_RCVD)
		tm_set_state(t, f, r, TM_HK_RCV, TM_CLOSE_WAIT, src, p);
	else if (R->state == TM_FIN_WAIT_1)
		tm_set_state(t, f, r, TM_HK_RCV, TM_CLOSING, src, p);
	else if (R->state == TM_FIN_WAIT_2)
		tm_set_state(t, f, r, TM_HK_RCV, TM_TIME_WAIT, src, p);
}

/**
 * tm_track_give_up() - give up what a side stores, and raise its NEW_DATA
 * @t: table
 * @f: flow, locked
 * @side: receiving side
 * @why: &enum tm_gap of the gaps this reports
 *
 * As at the side's end (tm_drain_side()): the bytes its receiver
 * acknowledged are delivered, their holes reported as gaps; those past
 * its acknowledgment, which its read() has not returned, are reported as
 * a gap and not delivered.  A stored FIN that acknowledgment passed ended
 * the receiver's stream (tm_reasm_flush()): the side takes it, as the
 * receiver did.  The side goes on (store.c: share, ageing, pressure).
 */
void tm_track_give_up(struct tm_table *t, struct tm_flow *f,
		      unsigned int side, unsigned int why)
{
	u64 off0 = f->half[side].rcv_off;

	f->gap_why = why;
	if (tm_reasm_flush(t, f, side, tm_read_lim(f, side), NULL, NULL)) {
		/* The receiver took a stored FIN: so does the flow */
		f->half[!side].fin_seq = f->half[side].rcv_nxt;
		f->half[!side].flags |= TM_HF_FIN_SENT;
		tm_fin_take(t, f, side, NULL, NULL);
	}
	f->gap_why = TM_GAP_LOSS;
	tm_new_data(t, f, side, off0, NULL, NULL);
}

/**
 * tm_track_drain() - deliver what both sides store before a flow goes
 * @t: table
 * @f: flow, locked
 *
 * Every byte a side stored enters its stream, when its receiver
 * acknowledged it, or is reported as a gap (%TM_ERR_GAP), then NEW_DATA:
 * whatever ends the flow, nothing it holds is freed unreported.  Nothing
 * happens for empty stores.
 */
void tm_track_drain(struct tm_table *t, struct tm_flow *f)
{
	unsigned int i;

	for (i = 0; i < 2; i++)
		tm_drain_side(t, f, i, NULL, NULL);
}

/**
 * tm_track_end() - end a flow without a packet
 * @t: table
 * @f: flow, locked
 * @reason: %TM_END_TIMEOUT, %TM_END_REUSE or %TM_END_FLUSH
 *
 * Raises TIMEOUT for a flow that idled out with a side still open, then
 * delivers what the stores hold (holes reported), then each open side's
 * CONN_END.
 */
void tm_track_end(struct tm_table *t, struct tm_flow *f, unsigned int reason)
{
	unsigned int i;
	bool open = false;

	for (i = 0; i < 2; i++)
		if ((f->half[i].flags & TM_HF_STARTED) &&
		    f->half[i].state != TM_TIME_WAIT &&
		    f->half[i].state != TM_CLOSED)
			open = true;
	if (reason == TM_END_TIMEOUT && open) {
		tm_stat_inc(t, TM_STAT_TIMEOUTS);
		tm_emit(t, f, TM_EV_TIMEOUT, TM_HK_NULL, TM_CLI, NULL, NULL);
	}
	tm_track_drain(t, f);
	/* A side whose TIME_WAIT ran out ended with its FIN handshake. */
	for (i = 0; i < 2; i++)
		tm_end(t, f, i, TM_HK_RCV,
		       reason == TM_END_TIMEOUT &&
		       f->half[i].state == TM_TIME_WAIT ? TM_END_FIN : reason,
		       NULL, NULL);
}

/**
 * tm_sender() - update the sending side of a packet
 * @t: table
 * @f: flow, locked
 * @s: sending side
 * @src: the packet
 * @p: its headers
 * @o: its options, for a SYN
 * @rst_ok: it is an RST the receiver accepts
 * @rexmit: set when the packet resends something
 *
 * Return: false when the packet is outside the window and must be
 * ignored from here on.
 */
static bool tm_sender(struct tm_table *t, struct tm_flow *f, unsigned int s,
		      const struct tm_src *src, const struct tm_pkt *p,
		      const struct tm_opts *o, bool rst_ok, bool *rexmit)
{
	struct tm_half *S = &f->half[s], *R = &f->half[!s];
	u8 fl = p->tcp_flags;
	u32 plen = p->l4len - p->doff;
	u32 dseq = p->seq + !!(fl & TM_TCPF_SYN);
	u32 end = dseq + plen + !!(fl & TM_TCPF_FIN);
	u32 win;

	if (fl & TM_TCPF_RST) {
		if (rst_ok)
			tm_set_state(t, f, s, TM_HK_SND, TM_CLOSED, src, p);
		return true;
	}

	if (fl & TM_TCPF_SYN) {
		/* A first SYN opens a side; an established or closed side
		 * (picked up mid-stream, or ended) takes none.
		 */
		if (!(S->flags & (TM_HF_SYN_SENT | TM_HF_ENDED)) &&
		    S->state <= TM_SYN_RCVD) {
			S->isn = p->seq;
			S->snd_end = end;
			S->flags |= TM_HF_SYN_SENT | TM_HF_SND_SYNCED;
			if (o->has_wscale) {
				S->flags |= TM_HF_WSCALE;
				S->wscale = o->wscale;
			}
			if (o->has_ts)
				S->aflags |= TM_HA_TS;
			if (!(fl & TM_TCPF_ACK) && S->state == TM_CLOSED) {
				tm_set_state(t, f, s, TM_HK_SND, TM_SYN_SENT,
					     src, p);
				tm_start(t, f, s, TM_HK_SND, src, p);
			} else if (S->state == TM_LISTEN) {
				/* Not CLOSED: a side that closed stays so. */
				tm_set_state(t, f, s, TM_HK_SND, TM_SYN_RCVD,
					     src, p);
				tm_start(t, f, s, TM_HK_SND, src, p);
			}
		} else if ((S->flags & TM_HF_SYN_SENT) && p->seq == S->isn) {
			*rexmit = true;
		} else if (!(fl & TM_TCPF_ACK) && S->state == TM_SYN_SENT &&
			   !R->rcv_off) {
			/* A new attempt before any answer: new ISN. */
			S->isn = p->seq;
			S->snd_end = end;
			R->rcv_nxt = dseq;
		} else {
			/* A SYN in a synchronised connection: ignored. */
			return false;
		}
	} else if (!tm_in_window(f, s, p, end)) {
		return false;
	}

	/* (Not a side that closed before it opened: see tm_unopened().) */
	if ((f->flags & TM_FF_MIDSTREAM) && S->state != TM_CLOSED)
		tm_start(t, f, s, TM_HK_SND, src, p);

	if (plen && tm_reasm_seen(&f->half[!s], dseq, plen))
		*rexmit = true;
	if ((fl & TM_TCPF_FIN) && (S->flags & TM_HF_FIN_SENT) &&
	    S->fin_seq == dseq + plen)
		*rexmit = true;
	if (!(S->flags & TM_HF_SND_SYNCED)) {
		S->snd_end = end;
		S->flags |= TM_HF_SND_SYNCED;
	} else if (tm_after(end, S->snd_end)) {
		S->snd_end = end;
	}

	/*
	 * A FIN behind a hole waits there (tcp_data_queue_ofo()): of two
	 * waiting, the first the stream reaches counts.
	 */
	if ((fl & TM_TCPF_FIN) && (S->flags & TM_HF_FIN_SENT) &&
	    !(R->flags & TM_HF_FIN_RCVD) && tm_before(dseq + plen, S->fin_seq))
		S->fin_seq = dseq + plen;
	if ((fl & TM_TCPF_FIN) && !(S->flags & TM_HF_FIN_SENT)) {
		S->fin_seq = dseq + plen;
		S->flags |= TM_HF_FIN_SENT;
		if (S->state == TM_CLOSE_WAIT)
			tm_set_state(t, f, s, TM_HK_SND, TM_LAST_ACK, src, p);
		else if (S->state == TM_ESTABLISHED ||
			 S->state == TM_SYN_RCVD || S->state == TM_SYN_SENT)
			tm_set_state(t, f, s, TM_HK_SND, TM_FIN_WAIT_1, src, p);
	}

	/* What the sender grants its peer, and its largest window */
	win = (u32)p->window << ((fl & TM_TCPF_SYN) ? 0 : tm_wscale(f, s));
	if (fl & TM_TCPF_ACK) {
		u32 edge = p->ack_seq + win;

		if (!(R->flags & TM_HF_WIN_KNOWN) ||
		    tm_after(edge, R->snd_maxend))
			R->snd_maxend = edge;
		R->flags |= TM_HF_WIN_KNOWN;
		if (!(S->aflags & TM_HA_ACKED) ||
		    tm_after(p->ack_seq, S->ack_max))
			S->ack_max = p->ack_seq;
		S->aflags |= TM_HA_ACKED;
	}
	S->snd_maxwin = max_t(u32, S->snd_maxwin, max_t(u32, win, 1));
	return true;
}

/**
 * tm_fin_passed() - forget a FIN the receiver never took
 * @t: table
 * @f: flow, locked
 * @r: receiving side
 * @src: the packet
 * @p: its headers
 */
static void tm_fin_passed(struct tm_table *t, struct tm_flow *f,
			  unsigned int r, const struct tm_src *src,
			  const struct tm_pkt *p)
{
	f->half[!r].flags &= ~TM_HF_FIN_SENT;
	tm_stat_inc(t, TM_STAT_NACC_FIN);
	tm_error(t, f, r, TM_ERR_FIN, f->half[r].rcv_off, 0, src, p);
}

/**
 * tm_receiver() - update the receiving side of a packet
 * @t: table
 * @f: flow, locked
 * @r: receiving side
 * @src: the packet
 * @p: its headers
 * @o: its options, for a SYN
 * @rx: what its payload did to the stream
 * @closed: set when @r closed
 */
static void tm_receiver(struct tm_table *t, struct tm_flow *f, unsigned int r,
			const struct tm_src *src, const struct tm_pkt *p,
			const struct tm_opts *o, struct tm_rx *rx,
			bool *closed)
{
	struct tm_half *R = &f->half[r], *S = &f->half[!r];
	u8 fl = p->tcp_flags;
	u32 plen = p->l4len - p->doff;
	u32 dseq = p->seq + !!(fl & TM_TCPF_SYN);
	bool setup = false;

	/* (A client picked up at a SYN-ACK starts once established.) */
	if ((f->flags & TM_FF_MIDSTREAM) && R->state != TM_SYN_SENT)
		tm_start(t, f, r, TM_HK_RCV, src, p);

	if ((fl & (TM_TCPF_SYN | TM_TCPF_ACK)) == TM_TCPF_SYN) {
		/* A side that closed stays closed: only its flow's end (reuse,
		 * timeout) makes room for a new connection.
		 */
		if (R->state == TM_LISTEN || R->state == TM_SYN_SENT ||
		    (R->state != TM_CLOSED && !(R->flags & TM_HF_RCV_SYNCED))) {
			R->rcv_nxt = dseq;
			R->flags |= TM_HF_RCV_SYNCED;
		}
		if (R->state == TM_LISTEN) {
			tm_set_state(t, f, r, TM_HK_RCV, TM_SYN_RCVD, src, p);
			tm_start(t, f, r, TM_HK_RCV, src, p);
		} else if (R->state == TM_SYN_SENT) {
			tm_set_state(t, f, r, TM_HK_RCV, TM_SYN_RCVD, src, p);
		}
	} else if (fl & TM_TCPF_SYN) {
		if (!(R->flags & TM_HF_RCV_SYNCED) ||
		    ((R->state == TM_SYN_SENT || R->state == TM_SYN_RCVD) &&
		     !R->rcv_off)) {
			R->rcv_nxt = dseq;
			R->flags |= TM_HF_RCV_SYNCED;
		}
		if ((R->state == TM_SYN_SENT || R->state == TM_SYN_RCVD) &&
		    tm_acks_syn(R, p->ack_seq)) {
			tm_set_state(t, f, r, TM_HK_RCV, TM_ESTABLISHED, src, p);
			if (f->flags & TM_FF_MIDSTREAM)
				tm_start(t, f, r, TM_HK_RCV, src, p);
			setup = true;
		}
	} else if ((fl & TM_TCPF_ACK) && R->state == TM_SYN_RCVD &&
		   (!(R->flags & TM_HF_SYN_SENT) ||
		    tm_after(p->ack_seq, R->isn))) {
		tm_set_state(t, f, r, TM_HK_RCV, TM_ESTABLISHED, src, p);
		setup = true;
	}

	/* An ACK of the receiver's FIN */
	if ((fl & TM_TCPF_ACK) && (R->flags & TM_HF_FIN_SENT) &&
	    tm_after(p->ack_seq, R->fin_seq)) {
		if (R->state == TM_FIN_WAIT_1)
			tm_set_state(t, f, r, TM_HK_RCV, TM_FIN_WAIT_2, src, p);
		else if (R->state == TM_CLOSING)
			tm_set_state(t, f, r, TM_HK_RCV, TM_TIME_WAIT, src, p);
		else if (R->state == TM_LAST_ACK)
			*closed = true;
	}
	if (setup)
		tm_emit(t, f, TM_EV_CONN_SETUP, TM_HK_RCV, r, src, p);

	/* Mid-stream, a side learns where its stream is from its first
	 * payload or FIN.
	 */
	if ((plen || (fl & TM_TCPF_FIN)) && !(R->flags & TM_HF_RCV_SYNCED)) {
		R->rcv_nxt = dseq;
		R->flags |= TM_HF_RCV_SYNCED;
	}
	if ((fl & TM_TCPF_URG) && !(fl & TM_TCPF_SYN))
		tm_urg(f, r, src, p);
	if (plen && (fl & (TM_TCPF_SYN | TM_TCPF_ACK)) == TM_TCPF_SYN) {
		/*
		 * A SYN's payload: tcp_conn_request() takes it only with a
		 * Fast Open cookie (tcp_try_fastopen()), and its SYN-ACK
		 * tells; without one it is dropped and sent again later.
		 */
		if (o->tfo_cookie && R->rcv_nxt == dseq && !R->rcv_off &&
		    RB_EMPTY_ROOT(&R->ooo)) {
			if (tm_reasm_hold(t, f, r, src, p, dseq,
					  p->l4off + p->doff, plen, rx))
				R->aflags |= TM_HA_SYN_HELD;
		} else if (!(R->aflags & TM_HA_SYN_HELD)) {
			tm_stat_inc(t, TM_STAT_NACC_SYN_DATA);
			tm_error(t, f, r, TM_ERR_SYN_DATA, R->rcv_off, plen,
				 src, p);
		}
	} else if (plen) {
		tm_reasm_data(t, f, r, src, p, dseq, p->l4off + p->doff, plen,
			      rx);
	} else if (fl & TM_TCPF_FIN) {
		tm_reasm_fin(t, f, r, dseq);
	}

	/*
	 * The stream stopped at a FIN: the segment's own, in order
	 * (tcp_data_queue() -> tcp_fin()), or one that reasm.c found the
	 * receiver's out-of-order queue gives (tcp_ofo_queue()).  That one is
	 * the FIN the receiver takes, not a waiting one before it.
	 */
	if (!(R->flags & TM_HF_FIN_RCVD) && (R->flags & TM_HF_RCV_SYNCED) &&
	    (rx->fin || ((fl & TM_TCPF_FIN) && R->rcv_nxt == dseq + plen))) {
		if ((S->flags & TM_HF_FIN_SENT) &&
		    tm_before(S->fin_seq, R->rcv_nxt))
			tm_fin_passed(t, f, r, src, p);
		S->fin_seq = R->rcv_nxt;
		S->flags |= TM_HF_FIN_SENT;
	}

	/* A waiting FIN the stream went past never takes effect. */
	if ((S->flags & TM_HF_FIN_SENT) && !(R->flags & TM_HF_FIN_RCVD) &&
	    (R->flags & TM_HF_RCV_SYNCED) && tm_after(R->rcv_nxt, S->fin_seq))
		tm_fin_passed(t, f, r, src, p);

	/*
	 * The sender's FIN, once the stream has reached it (tcp_fin():
	 * what waits after it is dropped)
	 */
	if ((S->flags & TM_HF_FIN_SENT) && !(R->flags & TM_HF_FIN_RCVD) &&
	    (R->flags & TM_HF_RCV_SYNCED) && R->rcv_nxt == S->fin_seq)
		tm_fin_take(t, f, r, src, p);
}

/*
 * The receiver's update of the segment being tracked waits if the
 * caller says so (@sp): what it needs is kept in &tm_split.pend.
 * Return: true if it waits.
 */
static bool tm_split_here(struct tm_flow *f, unsigned int s,
			  const struct tm_pkt *p, struct tm_split *sp,
			  unsigned int nacc, unsigned int rst_err,
			  unsigned int fl_pend)
{
	struct tm_pend *pd;

	if (!sp || !sp->wait(sp->arg, p))
		return false;
	pd = &sp->pend;
	memset(&pd->key, 0, sizeof(pd->key));
	pd->key.family = f->family;
	pd->key.addr[TM_CLI] = f->addr[TM_CLI];
	pd->key.addr[TM_SVR] = f->addr[TM_SVR];
	pd->key.port[TM_CLI] = f->port[TM_CLI];
	pd->key.port[TM_SVR] = f->port[TM_SVR];
	pd->id = f->id;
	pd->side = s;
	pd->nacc = nacc;
	pd->rst_err = rst_err;
	pd->flags = fl_pend | TM_PEND_WAITS;
	return true;
}

/* What a side's flags must hold, and must not, for the fast path */
#define TM_FAST_S_MASK	(TM_HF_SND_SYNCED | TM_HF_WIN_KNOWN | TM_HF_FIN_SENT)
#define TM_FAST_S_WANT	(TM_HF_SND_SYNCED | TM_HF_WIN_KNOWN)
#define TM_FAST_R_MASK	(TM_HF_RCV_SYNCED | TM_HF_SYN_SENT | TM_HF_FIN_SENT | \
			 TM_HF_FIN_RCVD | TM_HF_ENDED)
#define TM_FAST_R_WANT	(TM_HF_RCV_SYNCED | TM_HF_SYN_SENT)

/**
 * tm_track_fast() - track the common segment of an established connection
 * @t: table
 * @f: flow, locked
 * @s: sending side
 * @src: the packet
 * @p: its headers
 * @now: time, ns
 * @sp: NULL, or whether the receiver's update waits (tm_split_here())
 *
 * Header prediction, as tcp_rcv_established() does it: a segment with ACK
 * and no SYN, FIN, RST or URG, at its receiver's rcv_nxt with nothing
 * stored (no piece, and no node of the shadow of the receiver's queue: one
 * may carry a FIN the stream stops at), between two established sides of
 * a connection whose handshake was seen, with no option or the timestamps
 * alone (NOP, NOP, TIMESTAMP), whose TSval is not older than ts_recent,
 * whose acknowledgment is neither of unsent nor of old data, and which is
 * inside the window.  Every check of tm_track() is made, in fewer steps
 * since their outcome is known under these conditions; any other segment
 * is left to tm_track(), which gives the same result for these ones.
 *
 * Return: true when the segment was tracked here.
 */
static bool tm_track_fast(struct tm_table *t, struct tm_flow *f,
			  unsigned int s, const struct tm_src *src,
			  const struct tm_pkt *p, u64 now, struct tm_split *sp)
{
	struct tm_half *S = &f->half[s], *R = &f->half[!s];
	u32 plen = p->l4len - p->doff;
	u32 seq = p->seq, ack = p->ack_seq;
	u32 tsval = 0, tsecr, win, edge;
	bool has_ts = false;
	struct tm_rx rx;
	u64 off0;

	if ((p->tcp_flags & (TM_TCPF_SYN | TM_TCPF_FIN | TM_TCPF_RST |
			     TM_TCPF_URG | TM_TCPF_ACK)) != TM_TCPF_ACK ||
	    S->state != TM_ESTABLISHED || R->state != TM_ESTABLISHED ||
	    (f->flags & TM_FF_MIDSTREAM) ||
	    (S->flags & TM_FAST_S_MASK) != TM_FAST_S_WANT ||
	    (R->flags & TM_FAST_R_MASK) != TM_FAST_R_WANT ||
	    !(S->aflags & TM_HA_ACKED) ||
	    (R->aflags & (TM_HA_URG | TM_HA_SYN_HELD)) ||
	    seq != R->rcv_nxt || !RB_EMPTY_ROOT(&R->ooo) ||
	    (f->lnx && !RB_EMPTY_ROOT(&f->lnx->root[!s])))
		return false;

	/* The options tm_track() would read: timestamps, when negotiated */
	if (tm_ts_on(f) && p->doff != sizeof(struct tcphdr)) {
		u8 buf[TM_OLEN_TS_ALIGNED];
		const u8 *op;

		if (p->doff != sizeof(struct tcphdr) + TM_OLEN_TS_ALIGNED)
			return false;
		op = src->read(src->pkt, p->l4off + sizeof(struct tcphdr),
			       TM_OLEN_TS_ALIGNED, buf);
		if (!op || !tm_opts_aligned_ts(op, &tsval, &tsecr))
			return false;
		has_ts = true;
		/* PAWS passes, at either window, for a TSval not older */
		if ((R->aflags & TM_HA_TS_RECENT) &&
		    (s32)(R->ts_recent - tsval) > 0)
			return false;
	}

	/* tm_accept(): the acknowledgment */
	if (tm_after(ack, R->snd_end))
		return false;
	if (tm_after(S->ack_max, R->isn)) {
		u32 una = S->ack_max;

		win = min_t(u32, S->snd_maxwin, una - (R->isn + 1));
		if (tm_before(ack, una - win))
			return false;
	}
	/* tm_in_window() */
	if (tm_after(seq, S->snd_maxend) ||
	    (R->snd_maxwin && !tm_after(seq + plen, S->snd_end - R->snd_maxwin - 1)))
		return false;

	/* tm_sender(): nothing at rcv_nxt was seen before, with no store */
	if (tm_after(seq + plen, S->snd_end))
		S->snd_end = seq + plen;
	win = (u32)p->window << tm_wscale(f, s);
	edge = ack + win;
	if (!(R->flags & TM_HF_WIN_KNOWN) || tm_after(edge, R->snd_maxend))
		R->snd_maxend = edge;
	R->flags |= TM_HF_WIN_KNOWN;
	if (tm_after(ack, S->ack_max))
		S->ack_max = ack;
	S->snd_maxwin = max_t(u32, S->snd_maxwin, max_t(u32, win, 1));
	tm_emit(t, f, TM_EV_PKT_IN, TM_HK_SND, s, src, p);
	/* The receiver's update may wait: then it is tm_track_recv()'s */
	if (unlikely(sp) && tm_split_here(f, s, p, sp, TM_ERR_NONE,
					  TM_ERR_NONE, TM_PEND_OK))
		return true;

	/* tm_ts_update(), then tm_receiver(): the payload */
	if (has_ts &&
	    !tm_after(seq, (R->aflags & TM_HA_ACKED) ? R->ack_max : R->rcv_nxt)) {
		R->ts_recent = tsval;
		R->ts_stamp = tm_secs(now);
		R->aflags |= TM_HA_TS_RECENT;
	}
	off0 = R->rcv_off;
	if (plen) {
		rx = (struct tm_rx){ 0 };
		tm_reasm_data(t, f, !s, src, p, seq, p->l4off + p->doff, plen,
			      &rx);
	}
	tm_new_data(t, f, !s, off0, src, p);
	tm_emit(t, f, TM_EV_PKT_IN, TM_HK_RCV, !s, src, p);
	return true;
}

/*
 * Whether side @R of @f, not open yet, refuses a segment with flags @fl:
 * a listener takes nothing but a SYN, and drops a reset
 * (tcp_rcv_state_process()); a client picked up at a SYN-ACK nothing but
 * a SYN-ACK (or a SYN: tcp_rcv_state_process(), SYN_SENT); a side that
 * closed before it opened (it sent a reset) nothing.  Only a segment
 * whose receiver's update waited finds one so: the segment that opens
 * it was dropped meanwhile (mos_tm_input_split()).  A side picked up
 * mid-stream otherwise opens with the first segment it takes
 * (tm_receiver()).
 */
static bool tm_unopened(const struct tm_flow *f, const struct tm_half *R,
			u8 fl)
{
	if (R->flags & (TM_HF_STARTED | TM_HF_ENDED))
		return false;
	if (f->flags & TM_FF_MIDSTREAM)
		return R->state == TM_CLOSED ||
		       (R->state == TM_SYN_SENT && !(fl & TM_TCPF_SYN));
	return R->state != TM_LISTEN ||
	       (fl & (TM_TCPF_SYN | TM_TCPF_ACK)) != TM_TCPF_SYN;
}

/**
 * tm_track_recv() - the receiver's update of a packet, after its sender's
 * @t: table
 * @f: flow, locked
 * @s: side that sent the packet
 * @src: the packet
 * @p: its headers
 * @o: its options, as tm_track_slow() reads them
 * @now: time, ns
 * @nacc: why the receiver discards it, from before the sender's update
 * @rst_err: a reset's finding, from before the sender's update
 * @fl_pend: %TM_PEND_OK, %TM_PEND_DUP, %TM_PEND_REXMIT: what the sender's
 *	update found
 * @roff: the stream offset of the packet's first byte, for its receiver
 * @off0: the receiver's stream length before the packet
 */
static void tm_track_recv(struct tm_table *t, struct tm_flow *f,
			  unsigned int s, const struct tm_src *src,
			  const struct tm_pkt *p, const struct tm_opts *o,
			  u64 now, unsigned int nacc, unsigned int rst_err,
			  unsigned int fl_pend, u64 roff, u64 off0)
{
	unsigned int r = !s;
	struct tm_half *R = &f->half[r];
	u8 fl = p->tcp_flags;
	u32 plen = p->l4len - p->doff;
	bool ok = fl_pend & TM_PEND_OK, r_closed = false;
	struct tm_rx rx = { 0 };

	/* A side not open yet stays as it is (a listener drops a reset) */
	if ((fl & TM_TCPF_RST) && rst_err == TM_ERR_NONE && tm_unopened(f, R, fl))
		rst_err = TM_ERR_RST_OOW;
	if (fl & TM_TCPF_RST) {
		if (rst_err == TM_ERR_NONE) {
			tm_syn_unheld(t, f, r, src, p);
			tm_reasm_flush(t, f, r, tm_read_lim(f, r), src, p);
			tm_set_state(t, f, r, TM_HK_RCV, TM_CLOSED, src, p);
		} else {
			/*
			 * The receiver answers with a challenge ACK, or not
			 * at all, and stays as it was: so do both sides.
			 */
			tm_stat_inc(t, rst_err == TM_ERR_RST_INWIN ?
				    TM_STAT_RST_INWIN : TM_STAT_RST_OOW);
			tm_error(t, f, r, rst_err, roff, 0, src, p);
		}
	} else if (nacc) {
		tm_stat_inc(t, tm_nacc_stat(nacc));
		tm_error(t, f, r, nacc, roff, plen, src, p);
	} else if (!ok || (plen && (R->flags & TM_HF_ENDED)) ||
		   tm_unopened(f, R, fl)) {
		/*
		 * Outside the window, bytes for a side that has ended, or
		 * for one not open yet
		 */
		if (!(fl_pend & TM_PEND_DUP)) {
			tm_stat_inc(t, TM_STAT_OOW);
			tm_error(t, f, r, TM_ERR_OOW, roff, plen, src, p);
		}
	} else {
		tm_ts_update(f, r, p, o, now);
		tm_receiver(t, f, r, src, p, o, &rx, &r_closed);
	}
	if (r_closed)
		tm_reasm_flush(t, f, r, tm_read_lim(f, r), src, p);
	tm_new_data(t, f, r, off0, src, p);
	if (fl_pend & TM_PEND_REXMIT)
		tm_rexmit(t, f, TM_HK_RCV, r, roff, plen, src, p);
	tm_emit(t, f, TM_EV_PKT_IN, TM_HK_RCV, r, src, p);
	if (r_closed)
		tm_set_state(t, f, r, TM_HK_RCV, TM_CLOSED, src, p);
	if (R->state == TM_CLOSED)
		tm_end(t, f, r, TM_HK_RCV,
		       (fl & TM_TCPF_RST) ? TM_END_RST : TM_END_FIN, src, p);
}

/**
 * tm_track_slow() - update both sides of a flow with any packet
 * @t: table
 * @f: flow, locked
 * @s: side that sent the packet
 * @src: the packet
 * @p: its headers
 * @now: time, ns
 * @sp: the caller's say in whether the receiver's update waits, or NULL
 *
 * Not inlined into tm_track(): the fast path does not pay its set-up.
 */
static noinline void tm_track_slow(struct tm_table *t, struct tm_flow *f,
				   unsigned int s, const struct tm_src *src,
				   const struct tm_pkt *p, u64 now,
				   struct tm_split *sp)
{
	unsigned int r = !s, rst_err = TM_ERR_NONE, nacc = TM_ERR_NONE;
	struct tm_half *S = &f->half[s], *R = &f->half[r];
	u8 fl = p->tcp_flags;
	u32 plen = p->l4len - p->doff;
	u32 dseq = p->seq + !!(fl & TM_TCPF_SYN);
	bool rexmit = false, ok, dup = false;
	struct tm_opts o = { 0 };
	u64 off0 = R->rcv_off;
	unsigned int fl_pend;
	u64 roff;

	if ((fl & TM_TCPF_SYN) || tm_ts_on(f))
		mos_tm_parse_opts(src->pkt, src->read, p, &o);
	if (fl & TM_TCPF_RST)
		rst_err = tm_rst_check(f, s, p);
	else if (!(fl & TM_TCPF_SYN))
		nacc = tm_accept(f, s, p, &o, now);
	if (nacc == TM_ERR_PAWS && !tm_paws_applies(t, R))
		nacc = TM_ERR_NONE;
	roff = tm_stream_off(R, dseq);

	/* The sender; a segment its receiver discards changes nothing. */
	ok = !nacc && tm_sender(t, f, s, src, p, &o, rst_err == TM_ERR_NONE,
				&rexmit);
	/*
	 * A discarded segment with nothing the stream lacks (a late
	 * duplicate, PAWS's usual catch) is counted, and is a retransmission
	 * as before, not an error: the stream is the same either way.
	 */
	if (nacc && (R->flags & TM_HF_RCV_SYNCED) &&
	    !tm_after(dseq + plen + !!(fl & TM_TCPF_FIN), R->rcv_nxt)) {
		tm_stat_inc(t, tm_nacc_stat(nacc));
		nacc = TM_ERR_NONE;
		ok = false;
		rexmit = plen && tm_reasm_seen(R, dseq, plen);
		dup = true;
	}
	if (ok && (fl & (TM_TCPF_SYN | TM_TCPF_ACK)) ==
	    (TM_TCPF_SYN | TM_TCPF_ACK) && (S->aflags & TM_HA_SYN_HELD)) {
		u64 s_off0 = S->rcv_off;

		tm_syn_held(t, f, s, src, p);
		tm_new_data(t, f, s, s_off0, src, p);
	}
	if (rexmit) {
		tm_stat_inc(t, TM_STAT_REXMIT);
		tm_rexmit(t, f, TM_HK_SND, s, roff, plen, src, p);
	}
	tm_emit(t, f, TM_EV_PKT_IN, TM_HK_SND, s, src, p);
	if ((fl & TM_TCPF_RST) && rst_err == TM_ERR_NONE) {
		/* The RST's sender closes too: what it stores is its last */
		tm_drain_side(t, f, s, src, p);
		tm_end(t, f, s, TM_HK_SND, TM_END_RST, src, p);
	}

	fl_pend = (ok ? TM_PEND_OK : 0) | (dup ? TM_PEND_DUP : 0) |
		  (rexmit ? TM_PEND_REXMIT : 0);
	/* The receiver's update when the packet goes on to it, if it waits */
	if (tm_split_here(f, s, p, sp, nacc, rst_err, fl_pend))
		return;
	tm_track_recv(t, f, s, src, p, &o, now, nacc, rst_err, fl_pend, roff,
		      off0);
}

/**
 * tm_track_resume() - the receiver's update of a packet whose sender's
 * update was made before (tm_track() with a &struct tm_split)
 * @t: table
 * @f: flow, locked: the one of @pd
 * @pd: what the sender's update found
 * @src: the packet, as it goes on to its receiver
 * @p: its headers, as it goes on
 * @now: time, ns
 */
void tm_track_resume(struct tm_table *t, struct tm_flow *f,
		     const struct tm_pend *pd, const struct tm_src *src,
		     const struct tm_pkt *p, u64 now)
{
	const struct tm_half *R = &f->half[!pd->side];
	u32 dseq = p->seq + !!(p->tcp_flags & TM_TCPF_SYN);
	struct tm_opts o = { 0 };

	f->last = now;
	if ((p->tcp_flags & TM_TCPF_SYN) || tm_ts_on(f))
		mos_tm_parse_opts(src->pkt, src->read, p, &o);
	tm_track_recv(t, f, pd->side, src, p, &o, now, pd->nacc,
		      pd->rst_err, pd->flags, tm_stream_off(R, dseq),
		      R->rcv_off);
}

/**
 * tm_track() - update both sides of a flow with one packet
 * @t: table
 * @f: flow, locked
 * @s: side that sent the packet
 * @src: the packet
 * @p: its headers
 * @now: time, ns
 * @sp: NULL, or the caller's say in whether the receiver's update waits:
 *	either path may stop after the sender's update and fill
 *	&tm_split.pend for tm_track_resume(), whose general receiver's
 *	update gives the fast path's result for the segments it takes
 *
 * The common segment of an established connection takes the fast path
 * (tm_track_fast()), any other the general one; both give the same
 * result.
 */
void tm_track(struct tm_table *t, struct tm_flow *f, unsigned int s,
	      const struct tm_src *src, const struct tm_pkt *p, u64 now,
	      struct tm_split *sp)
{
	f->last = now;
	if (!tm_track_fast(t, f, s, src, p, now, sp))
		tm_track_slow(t, f, s, src, p, now, sp);
}
