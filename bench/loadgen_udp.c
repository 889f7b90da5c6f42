// roomcast over UDP (docs/protocol.md section 12), #included by loadgen.c.
//
// One UDP socket per member, bound to 127.0.0.1 and connected to the server.
// A session opens with a HELLO padded to 256 bytes (sent again until the
// answer comes); the answer's TOKEN goes into the ENVELOPE of every later
// datagram. Client to server is reliable: numbered datagrams are kept until
// acknowledged (ACK and its mask), sent again when the acknowledgement is
// late (as roomcast's client: RFC 6298, smoothed RTT plus four deviations
// measured on datagrams sent once, 200 ms to 4 s, doubled at each retry; 8
// sends at most), and at most 32 are unacknowledged. A sender packs as many
// SAY frames into one datagram as fit in the server's max_datagram. Server
// to client is best effort: every datagram starts with SEQ, the number of
// its first event; a jump counts events lost (udp_lost), a datagram wholly
// below the expected number is late or duplicated (udp_late) and dropped.
// Received datagrams are read with recvmmsg, 64 per system call.

#define UDP_WINDOW 32          /* unacknowledged datagrams, as the protocol allows */
#define UDP_BATCH 64           /* datagrams per recvmmsg */
#define UDP_SLOT 4096          /* receive buffer per datagram */
#define UDP_RTO_NS 200000000ull
#define UDP_RTO_MAX_NS 4000000000ull
#define UDP_MAX_SENDS 8
#define UDP_TICK_NS 20000000ull /* retransmissions and heartbeats, per worker */

typedef struct udp_slot {
  uint32_t seq;  // 0: free
  uint16_t len;
  uint8_t sends;
  uint8_t held;  // the server holds it (mask bit): do not send again
  uint64_t at;
  uint8_t *data;
} udp_slot;

typedef struct udp_state {
  uint8_t token[16];
  int have_token;
  uint32_t expected;  // number of the next event
  uint32_t next_seq;  // number of the next reliable datagram
  uint32_t acked;     // every datagram up to this one is handled
  uint32_t max_dg;
  uint64_t ping_ns;
  uint64_t last_tx;
  uint64_t hello_at;
  int hello_sends;
  uint64_t srtt, rttvar, rto;  // ns; srtt 0 until the first sample
  int nslots;
  udp_slot *slots;
  uint8_t hello[256];
} udp_state;

// Datagrams the senders sent (numbered, first sends only) and in the window.
static uint64_t udp_dg_sent = 0, udp_dg_sent_in_window = 0;

static void udp_tx(conn *c, const uint8_t *b, size_t len, uint64_t now) {
  c->udp->last_tx = now;
  ssize_t n = send(c->fd, b, len, 0);
  // EAGAIN or ENOBUFS: as lost on the way; a numbered datagram is sent again.
  if (n < 0 && errno != EAGAIN && errno != EINTR && errno != ENOBUFS &&
      errno != ECONNREFUSED) {
    protocol_error(c, "cannot send a datagram", (const uint8_t *)strerror(errno),
                   strlen(strerror(errno)));
    mark_closed(c);
  }
}

static void udp_start(conn *c) {
  udp_state *u = calloc(1, sizeof *u);
  c->udp = u;
  u->expected = 1;
  u->next_seq = 1;
  u->max_dg = 1200;
  u->ping_ns = 10000000000ull;
  u->rto = UDP_RTO_NS;
  // Senders keep up to 32 datagrams; the others send one JOIN.
  u->nslots = c->sender >= 0 ? UDP_WINDOW : 2;
  u->slots = calloc((size_t)u->nslots, sizeof(udp_slot));
  // HELLO, padded with PAD to 256 bytes (12.3).
  size_t at = rc_frame(u->hello, 0x01, 2 + 2 + 7);
  u->hello[at++] = 0;
  u->hello[at++] = 1;
  at += rc_str(u->hello + at, "loadgen");
  size_t pad = sizeof u->hello - at - 6;
  at += rc_frame(u->hello + at, 0x1f, pad);
  memset(u->hello + at, 0, pad);
  uint64_t now = now_ns();
  u->hello_at = now;
  u->hello_sends = 1;
  udp_tx(c, u->hello, sizeof u->hello, now);
}

// A new numbered datagram: ENVELOPE(token, seq), frames to be appended.
// NULL when 32 are unacknowledged.
static udp_slot *udp_begin(conn *c) {
  udp_state *u = c->udp;
  if (u->next_seq - 1 - u->acked >= (uint32_t)u->nslots) return NULL;
  udp_slot *sl = &u->slots[u->next_seq % (uint32_t)u->nslots];
  if (!sl->data) sl->data = malloc(u->max_dg);
  sl->seq = u->next_seq++;
  sl->sends = 0;
  sl->held = 0;
  size_t at = rc_frame(sl->data, 0x10, 20);
  memcpy(sl->data + at, u->token, 16);
  at += 16;
  sl->data[at++] = (uint8_t)(sl->seq >> 24);
  sl->data[at++] = (uint8_t)(sl->seq >> 16);
  sl->data[at++] = (uint8_t)(sl->seq >> 8);
  sl->data[at++] = (uint8_t)sl->seq;
  sl->len = (uint16_t)at;
  return sl;
}

static void udp_send_slot(conn *c, udp_slot *sl, uint64_t now) {
  sl->at = now;
  sl->sends++;
  udp_tx(c, sl->data, sl->len, now);
}

static void udp_join(conn *c, uint64_t now) {
  udp_slot *sl = udp_begin(c);
  size_t at = sl->len;
  at += rc_frame(sl->data + at, 0x02, 4 + strlen(c->room) + strlen(c->name));
  at += rc_str(sl->data + at, c->room);
  at += rc_str(sl->data + at, c->name);
  sl->len = (uint16_t)at;
  udp_send_slot(c, sl, now);
}

static void udp_ack(conn *c, uint32_t ack, uint32_t mask) {
  udp_state *u = c->udp;
  if (ack >= u->next_seq) return;  // not ours to acknowledge
  if (ack > u->acked) {
    uint64_t now = now_ns();
    for (uint32_t s = u->acked + 1; s <= ack; s++) {
      udp_slot *sl = &u->slots[s % (uint32_t)u->nslots];
      if (sl->seq != s) continue;
      if (sl->sends == 1 && s == ack) {  // an RTT sample (RFC 6298)
        uint64_t r = now - sl->at;
        if (u->srtt == 0) {
          u->srtt = r;
          u->rttvar = r / 2;
        } else {
          uint64_t d = r > u->srtt ? r - u->srtt : u->srtt - r;
          u->rttvar = (3 * u->rttvar + d) / 4;
          u->srtt = (7 * u->srtt + r) / 8;
        }
        u->rto = u->srtt + 4 * u->rttvar;
        if (u->rto < UDP_RTO_NS) u->rto = UDP_RTO_NS;
        if (u->rto > UDP_RTO_MAX_NS) u->rto = UDP_RTO_MAX_NS;
      }
      sl->seq = 0;
    }
    u->acked = ack;
  }
  for (int i = 0; i < 32 && mask; i++, mask >>= 1) {
    if (!(mask & 1)) continue;
    uint32_t s = ack + 1 + (uint32_t)i;
    udp_slot *sl = &u->slots[s % (uint32_t)u->nslots];
    if (sl->seq == s) sl->held = 1;
  }
}

// One datagram from the server.
static void udp_datagram(conn *c, const uint8_t *b, size_t len, uint64_t now) {
  udp_state *u = c->udp;
  worker *w = c->w;
  if (len < 6 || b[0] != 0xAB || 6 + (size_t)be32(b + 2) > len) {
    w->bad++;
    return;
  }
  if (b[1] == 0x88) {  // a bare ERROR: outside the session
    size_t fl = be32(b + 2);
    protocol_error(c, "server refused", b + 11, fl > 5 ? fl - 5 : 0);
    if (fl >= 3 && b[8]) mark_closed(c);
    return;
  }
  if (b[1] != 0x92 || be32(b + 2) != 20) {
    w->bad++;
    return;
  }
  if (u->have_token && memcmp(b + 6, u->token, 16) != 0) {
    w->bad++;  // an older session's
    return;
  }
  uint32_t first = be32(b + 22), ev = first;
  if (first > u->expected) {
    atomic_store_explicit(&w->udp_lost,
                          atomic_load_explicit(&w->udp_lost, memory_order_relaxed) +
                              (first - u->expected),
                          memory_order_relaxed);
  }
  size_t at = 26;
  int events = 0, late = 0;
  while (at + 6 <= len) {
    size_t fl = be32(b + at + 2);
    if (b[at] != 0xAB || at + 6 + fl > len) {
      w->bad++;
      break;
    }
    const uint8_t *p = b + at + 6;
    uint8_t t = b[at + 1];
    if (t == 0x91 && fl == 8) {
      udp_ack(c, be32(p), be32(p + 4));
    } else if (t == 0x90 && fl >= 26) {
      if (!u->have_token) {
        memcpy(u->token, p, 16);
        u->have_token = 1;
        u->ping_ns = (uint64_t)be32(p + 20) * 1000000ull;
        u->max_dg = be16(p + 24);
        udp_join(c, now);
      }
    } else {
      events++;
      if (ev >= u->expected) rc_event(c, t, p, fl, now);
      else late++;
      ev++;
    }
    at += 6 + fl;
  }
  if (events > 0 && late == events) w->udp_late++;
  if (ev > u->expected) u->expected = ev;
}

static void udp_read(conn *c, uint64_t now) {
  worker *w = c->w;
  struct mmsghdr msgs[UDP_BATCH];
  struct iovec iov[UDP_BATCH];
  for (int i = 0; i < UDP_BATCH; i++) {
    iov[i].iov_base = w->scratch + (size_t)i * UDP_SLOT;
    iov[i].iov_len = UDP_SLOT;
    memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  for (;;) {
    int n = recvmmsg(c->fd, msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      if (errno == ECONNREFUSED) return;  // ICMP from a port not yet bound
      mark_closed(c);
      return;
    }
    uint64_t bytes = 0;
    for (int i = 0; i < n && !c->closed; i++) {
      bytes += msgs[i].msg_len;
      if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
        w->bad++;
        continue;
      }
      udp_datagram(c, iov[i].iov_base, msgs[i].msg_len, now);
    }
    atomic_store_explicit(&w->bytes,
                          atomic_load_explicit(&w->bytes, memory_order_relaxed) + bytes,
                          memory_order_relaxed);
    // Over UDP a "read" is a datagram: deliveries per read are per datagram.
    atomic_store_explicit(&w->reads,
                          atomic_load_explicit(&w->reads, memory_order_relaxed) + (uint64_t)n,
                          memory_order_relaxed);
    if (n < UDP_BATCH || c->closed) return;
  }
}

// Send up to k messages of sender s, packed into as few datagrams as fit.
// Returns how many went out (fewer when 32 datagrams are unacknowledged).
static long udp_send_says(conn *c, int s, long k, uint64_t now) {
  udp_state *u = c->udp;
  size_t say = 6 + 2 + (size_t)size;
  long done = 0;
  while (done < k) {
    udp_slot *sl = udp_begin(c);
    if (!sl) break;
    size_t at = sl->len;
    while (done < k && at + say <= u->max_dg) {
      at += rc_frame(sl->data + at, 0x03, 2 + (size_t)size);
      sl->data[at++] = (uint8_t)(size >> 8);
      sl->data[at++] = (uint8_t)size;
      sent[s]++;
      fill_text(sl->data + at, s, sent[s], now);
      memset(sl->data + at + TEXT_MIN, 'x', (size_t)size - TEXT_MIN);
      at += (size_t)size;
      done++;
    }
    sl->len = (uint16_t)at;
    udp_send_slot(c, sl, now);
    udp_dg_sent++;
    if (atomic_load_explicit(&phase, memory_order_relaxed) == PH_MEASURE)
      udp_dg_sent_in_window++;
  }
  return done;
}

// SAY frames of `size` bytes of text that fit one datagram after ENVELOPE.
static long udp_capacity(conn *c) {
  return (long)((c->udp->max_dg - 26) / (8 + (size_t)size));
}

static int udp_can_send(conn *c) {
  udp_state *u = c->udp;
  return u->have_token && u->next_seq - 1 - u->acked < (uint32_t)u->nslots;
}

// Retransmissions, HELLO again, heartbeats: every 20 ms, for the worker's
// own sessions.
static void udp_tick(worker *w, uint64_t now) {
  if (now - w->udp_tick_ns < UDP_TICK_NS) return;
  w->udp_tick_ns = now;
  for (int i = 0; i < nconns; i++) {
    conn *c = &conns[i];
    udp_state *u = c->udp;
    if (c->w != w || !u || c->closed) continue;
    if (!u->have_token) {
      uint64_t rto = UDP_RTO_NS << (u->hello_sends - 1);
      if (rto > UDP_RTO_MAX_NS) rto = UDP_RTO_MAX_NS;
      if (now - u->hello_at > rto) {
        if (u->hello_sends >= UDP_MAX_SENDS) {
          protocol_error(c, "no answer to HELLO", (const uint8_t *)"", 0);
          mark_closed(c);
          continue;
        }
        u->hello_at = now;
        u->hello_sends++;
        udp_tx(c, u->hello, sizeof u->hello, now);
      }
      continue;
    }
    for (uint32_t s = u->acked + 1; s < u->next_seq; s++) {
      udp_slot *sl = &u->slots[s % (uint32_t)u->nslots];
      if (sl->seq != s || sl->held) continue;
      uint64_t rto = u->rto << (sl->sends - 1);
      if (rto > UDP_RTO_MAX_NS) rto = UDP_RTO_MAX_NS;
      if (now - sl->at < rto) continue;
      if (sl->sends >= UDP_MAX_SENDS) {
        protocol_error(c, "no acknowledgement after 8 sends", (const uint8_t *)"", 0);
        mark_closed(c);
        break;
      }
      w->udp_retransmits++;
      udp_send_slot(c, sl, now);
    }
    if (!c->closed && now - u->last_tx > u->ping_ns) {
      // Heartbeat: ENVELOPE with seq 0, then PING (12.6).
      uint8_t b[64];
      size_t at = rc_frame(b, 0x10, 20);
      memcpy(b + at, u->token, 16);
      at += 16;
      memset(b + at, 0, 4);
      at += 4;
      at += rc_frame(b + at, 0x06, 4);
      memset(b + at, 0, 4);
      at += 4;
      udp_tx(c, b, at, now);
    }
  }
}

// A UDP socket bound to 127.0.0.1 and connected to HOST:PORT.
static int udp_dial(const char *hostport) {
  char host[64];
  const char *colon = strrchr(hostport, ':');
  if (!colon) return -1;
  size_t hl = (size_t)(colon - hostport);
  if (hl >= sizeof host) return -1;
  memcpy(host, hostport, hl);
  host[hl] = 0;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) return -1;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return -1;
  struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = 0};
  inet_pton(AF_INET, "127.0.0.1", &me.sin_addr);
  if (bind(fd, (struct sockaddr *)&me, sizeof me) < 0 ||
      connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}
