// roomcast load generator: one process, a few epoll threads, non-blocking
// sockets. It speaks roomcast's binary protocol (over TCP and Unix sockets,
// over UDP with its datagram layer: loadgen_udp.c, and its JSON over a
// WebSocket: loadgen_ws.c), RESP (Redis SUBSCRIBE and
// PUBLISH), the NATS client protocol and IRC, with the same room model for
// all: S members in a room, the first `senders` of them speak, every message
// reaches the other S-1 members. It counts deliveries at the receivers, checks
// every message's per-sender sequence number, measures latency from a send
// time carried in the payload, and reads the server's CPU time and RSS from
// /proc. It prints one JSON object on stdout.
//
// Built by bench/bench.ts with the system gcc: gcc -O2 -pthread loadgen.c -lm
// (loadgen_udp.c and loadgen_ws.c are #included: one translation unit).
//
// Message text (the payload, `size` bytes, ASCII, no spaces):
//   'm' | sender, 2 decimal digits | seq, 8 hex | send time ns (CLOCK_MONOTONIC), 16 hex | 'x' padding
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

// P_RC_UDP and P_RC_WS: roomcast, chosen by the address (udp:, ws:).
enum proto { P_ROOMCAST, P_REDIS, P_NATS, P_IRC, P_RC_UDP, P_RC_WS };
enum workload { W1, W2, W3 };
enum phase { PH_SETUP, PH_WARMUP, PH_MEASURE, PH_DRAIN, PH_DONE };

#define MAX_SENDERS 64
#define MAX_ADDRS 8
#define SCRATCH (256 * 1024)
#define HIST_US 1000000 /* 1 µs buckets up to 1 s */
#define TEXT_MIN 27

// ---- options ---------------------------------------------------------------

static enum proto proto = P_ROOMCAST;
static enum workload workload = W1;
static int members = 100, senders = 4, size = 64, threads = 1;
static double warmup_s = 2, duration_s = 10, drain_s = 5, settle_s = 2;
static long window_msgs = 1000, rate = 1000, room_size = 0;
static int batch = 16, max_pending = -1;  // -1: by protocol, see main
static const char *room = "bench";
static char *addrs[MAX_ADDRS];
static int naddrs = 0;
static int pids[16];
static int npids = 0;

// ---- helpers ---------------------------------------------------------------

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *fmt, const char *detail) {
  fprintf(stderr, "loadgen: ");
  fprintf(stderr, fmt, detail);
  fprintf(stderr, "\n");
  exit(1);
}

static double cpu_self_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

// Server CPU seconds (utime + stime, all threads), summed over the pids.
static double cpu_server_s(void) {
  double total = 0;
  long tick = sysconf(_SC_CLK_TCK);
  for (int i = 0; i < npids; i++) {
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", pids[i]);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) continue;
    unsigned long ut = 0, st = 0;
    // After ")": state(3) ... utime is field 14, stime 15.
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
               &ut, &st) == 2)
      total += (double)(ut + st) / tick;
  }
  return total;
}

// CPU seconds all processes on the machine spent busy (from /proc/stat), so a
// reader can see how much of the machine something else was using.
static double cpu_machine_s(void) {
  FILE *f = fopen("/proc/stat", "r");
  if (!f) return 0;
  unsigned long long v[8] = {0};
  int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                 &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
  fclose(f);
  if (n < 8) return 0;
  // user nice system idle iowait irq softirq steal: busy is all but idle, iowait.
  return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / sysconf(_SC_CLK_TCK);
}

// Server RSS in KiB, summed over the pids.
static long rss_server_kib(void) {
  long total = 0;
  for (int i = 0; i < npids; i++) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pids[i]);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    while (fgets(line, sizeof line, f)) {
      if (strncmp(line, "VmRSS:", 6) == 0) total += atol(line + 6);
    }
    fclose(f);
  }
  return total;
}

static const uint8_t HEX[] = "0123456789abcdef";
static int8_t unhex[256];

static void put_hex(uint8_t *p, uint64_t v, int digits) {
  for (int i = digits - 1; i >= 0; i--) {
    p[i] = HEX[v & 15];
    v >>= 4;
  }
}

static uint64_t get_hex(const uint8_t *p, int digits) {
  uint64_t v = 0;
  for (int i = 0; i < digits; i++) v = (v << 4) | (uint64_t)unhex[p[i]];
  return v;
}

static uint32_t be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
         ((uint32_t)p[2] << 8) | p[3];
}
static uint16_t be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

// ---- connections and workers -------------------------------------------------

struct worker;
struct udp_state;

typedef struct conn {
  int fd;
  int idx;       // connection index
  int sender;    // sender number, or -1
  int receiver;  // 1 when it should receive the room's messages
  int joined;
  int closed;
  int step;      // handshake step (IRC); roomcast: 1 once a frame began
  char room[48];
  char name[24];
  uint8_t *carry;
  uint32_t carry_len, carry_cap;
  uint8_t *out;
  uint32_t out_len, out_cap;
  uint32_t *last;  // last sequence number seen, per sender
  uint8_t *prefix; // expected bytes before a message payload (RESP, NATS)
  uint32_t prefix_len;
  struct udp_state *udp;  // UDP only (loadgen_udp.c)
  struct worker *w;
} conn;

typedef struct worker {
  int id;
  int epfd;
  pthread_t thread;
  uint8_t *scratch;
  // Counters written by this worker only; read by worker 0 (relaxed).
  _Atomic uint64_t delivered;  // messages received (by receivers)
  _Atomic uint64_t bytes;
  _Atomic uint64_t reads;  // read() calls that returned data
  uint64_t gaps, dups, bad, errors;
  // UDP: events the server numbered that never arrived (SEQ jumps), and
  // datagrams wholly below the expected event number (late or duplicated).
  _Atomic uint64_t udp_lost;
  uint64_t udp_late, udp_retransmits;
  uint64_t udp_tick_ns;
  _Atomic int joined;
  uint32_t *hist;
  uint64_t hist_n, lat_max_ns;
  char pad[64];
} worker;

static conn *conns;
static int nconns;
static worker *workers;
static _Atomic int phase = PH_SETUP;
static _Atomic int disconnects = 0;
static int receivers_per_msg;  // deliveries each message should make

// Sender state (worker 0 only).
static uint64_t sent[MAX_SENDERS], sent_total = 0, sent_in_window = 0;
static uint8_t *tmpl[MAX_SENDERS];
static uint32_t tmpl_len[MAX_SENDERS], tmpl_text[MAX_SENDERS];

static void set_nonblock(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void watch(conn *c, int out) {
  struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c};
  epoll_ctl(c->w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void mark_closed(conn *c) {
  if (c->closed) return;
  c->closed = 1;
  epoll_ctl(c->w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  if (atomic_load_explicit(&phase, memory_order_relaxed) < PH_DONE)
    atomic_fetch_add(&disconnects, 1);
}

static void flush_out(conn *c) {
  uint32_t at = 0;
  while (at < c->out_len) {
    ssize_t n = write(c->fd, c->out + at, c->out_len - at);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) break;
      c->out_len = 0;
      mark_closed(c);
      return;
    }
    at += (uint32_t)n;
  }
  if (at > 0) {
    memmove(c->out, c->out + at, c->out_len - at);
    c->out_len -= at;
  }
  watch(c, c->out_len > 0);
}

static void queue_out(conn *c, const void *data, size_t len) {
  if (c->closed) return;
  if (c->out_len + len > c->out_cap) {
    c->out_cap = (uint32_t)((c->out_len + len) * 2 + 1024);
    c->out = realloc(c->out, c->out_cap);
  }
  memcpy(c->out + c->out_len, data, len);
  c->out_len += (uint32_t)len;
}

static void send_now(conn *c, const void *data, size_t len) {
  queue_out(c, data, len);
  flush_out(c);
}

// ---- payloads ----------------------------------------------------------------

static void fill_text(uint8_t *t, int sender, uint64_t seq, uint64_t t_ns) {
  t[0] = 'm';
  t[1] = (uint8_t)('0' + sender / 10);
  t[2] = (uint8_t)('0' + sender % 10);
  put_hex(t + 3, seq, 8);
  put_hex(t + 11, t_ns, 16);
}

static void on_payload(conn *c, const uint8_t *t, uint64_t now) {
  worker *w = c->w;
  if (t[0] != 'm') {
    w->bad++;
    return;
  }
  int s = (t[1] - '0') * 10 + (t[2] - '0');
  if (s < 0 || s >= senders) {
    w->bad++;
    return;
  }
  uint32_t seq = (uint32_t)get_hex(t + 3, 8);
  uint32_t last = c->last[s];
  if (seq != last + 1) {
    if (seq > last + 1) w->gaps += seq - last - 1;
    else w->dups++;
  }
  c->last[s] = seq > last ? seq : last;
  atomic_store_explicit(&w->delivered,
                        atomic_load_explicit(&w->delivered, memory_order_relaxed) + 1,
                        memory_order_relaxed);
  if (workload == W2 &&
      atomic_load_explicit(&phase, memory_order_relaxed) == PH_MEASURE) {
    uint64_t sent_at = get_hex(t + 11, 16);
    uint64_t d = now > sent_at ? now - sent_at : 0;
    uint64_t us = d / 1000;
    w->hist[us < HIST_US ? us : HIST_US - 1]++;
    w->hist_n++;
    if (d > w->lat_max_ns) w->lat_max_ns = d;
  }
}

static void joined(conn *c) {
  if (c->joined) return;
  c->joined = 1;
  atomic_fetch_add(&c->w->joined, 1);
}

static void protocol_error(conn *c, const char *what, const uint8_t *p, size_t n) {
  char msg[300];
  if (n > 200) n = 200;
  snprintf(msg, sizeof msg, "%s on connection %d: %.*s", what, c->idx, (int)n, p);
  for (char *q = msg; *q; q++)
    if (*q == '\r' || *q == '\n') *q = ' ';
  c->w->errors++;
  if (c->w->errors <= 5) fprintf(stderr, "loadgen: %s\n", msg);
}

// ---- roomcast -------------------------------------------------------------------

static size_t rc_str(uint8_t *p, const char *s) {
  size_t n = strlen(s);
  p[0] = (uint8_t)(n >> 8);
  p[1] = (uint8_t)n;
  memcpy(p + 2, s, n);
  return n + 2;
}

static size_t rc_frame(uint8_t *p, uint8_t type, size_t payload) {
  p[0] = 0xAB;
  p[1] = type;
  p[2] = (uint8_t)(payload >> 24);
  p[3] = (uint8_t)(payload >> 16);
  p[4] = (uint8_t)(payload >> 8);
  p[5] = (uint8_t)payload;
  return 6;
}

static void rc_start(conn *c) {
  uint8_t b[256];
  size_t at = 0;
  at += rc_frame(b + at, 0x01, 2 + 2 + 7);
  b[at++] = 0;
  b[at++] = 1;
  at += rc_str(b + at, "loadgen");
  size_t join = at;
  at += rc_frame(b + at, 0x02, 4 + strlen(c->room) + strlen(c->name));
  at += rc_str(b + at, c->room);
  at += rc_str(b + at, c->name);
  (void)join;
  send_now(c, b, at);
}

// One server frame (stream or datagram): type and payload.
static void rc_event(conn *c, uint8_t type, const uint8_t *p, size_t plen, uint64_t now) {
  switch (type) {
    case 0x85: {  // MESSAGE: room, from, text
      size_t o = 2 + be16(p);
      o += 2 + be16(p + o);
      if (o + 2 <= plen && be16(p + o) == size) on_payload(c, p + o + 2, now);
      else c->w->bad++;
      break;
    }
    case 0x82:  // WELCOME
      joined(c);
      break;
    case 0x88:  // ERROR
      protocol_error(c, "server error", p + 5, plen > 5 ? plen - 5 : 0);
      break;
    default:
      break;  // HELLO_OK, JOINED, LEFT, ANNOUNCEMENT, PONG
  }
}

static size_t rc_parse(conn *c, const uint8_t *b, size_t len, uint64_t now) {
  size_t at = 0;
  if (c->step == 0) {
    // A server that did not read our HELLO within 500 ms writes a text-mode
    // name prompt first; it still takes the HELLO. Skip to the first frame
    // (docs/protocol.md, "How the server tells").
    const uint8_t *magic = memchr(b, 0xAB, len);
    if (!magic) return len;
    at = (size_t)(magic - b);
    c->step = 1;
  }
  while (len - at >= 6) {
    if (b[at] != 0xAB) {
      protocol_error(c, "bad frame magic", b + at, len - at);
      mark_closed(c);
      return len;
    }
    size_t flen = 6 + (size_t)be32(b + at + 2);
    if (len - at < flen) break;
    rc_event(c, b[at + 1], b + at + 6, flen - 6, now);
    at += flen;
  }
  return at;
}

static uint32_t rc_template(int s, uint8_t *b) {
  size_t at = rc_frame(b, 0x03, 2 + size);
  b[at++] = (uint8_t)(size >> 8);
  b[at++] = (uint8_t)size;
  tmpl_text[s] = (uint32_t)at;
  memset(b + at, 'x', size);
  return (uint32_t)(at + size);
}

// ---- Redis (RESP2) ----------------------------------------------------------

static void redis_start(conn *c) {
  char b[256];
  int n;
  if (c->receiver) {
    n = snprintf(b, sizeof b, "*2\r\n$9\r\nSUBSCRIBE\r\n$%zu\r\n%s\r\n",
                 strlen(c->room), c->room);
  } else {
    n = snprintf(b, sizeof b, "*1\r\n$4\r\nPING\r\n");
  }
  send_now(c, b, (size_t)n);
  char pre[128];
  int m = snprintf(pre, sizeof pre, "*3\r\n$7\r\nmessage\r\n$%zu\r\n%s\r\n$%d\r\n",
                   strlen(c->room), c->room, size);
  c->prefix = (uint8_t *)strndup(pre, (size_t)m);
  c->prefix_len = (uint32_t)m;
}

// Length of one RESP value at b (arrays of simple values), 0 if incomplete.
// Sets *first to the first bulk string of an array (or the value itself).
static size_t resp_value(const uint8_t *b, size_t len, const uint8_t **first,
                         size_t *first_len, int depth) {
  const uint8_t *nl = memchr(b, '\n', len);
  if (!nl) return 0;
  size_t head = (size_t)(nl - b) + 1;
  long n = atol((const char *)b + 1);
  switch (b[0]) {
    case '+': case '-': case ':':
      if (first && depth == 0) {
        *first = b;
        *first_len = head;
      }
      return head;
    case '$': {
      if (n < 0) return head;
      if (len < head + (size_t)n + 2) return 0;
      if (first) {
        *first = b + head;
        *first_len = (size_t)n;
      }
      return head + (size_t)n + 2;
    }
    case '*': {
      size_t at = head;
      for (long i = 0; i < n; i++) {
        size_t k = resp_value(b + at, len - at, i == 0 ? first : NULL, first_len,
                              depth + 1);
        if (k == 0) return 0;
        at += k;
      }
      return at;
    }
  }
  return (size_t)-1;
}

static size_t redis_parse(conn *c, const uint8_t *b, size_t len, uint64_t now) {
  size_t at = 0;
  size_t whole = c->prefix_len + (size_t)size + 2;
  while (at < len) {
    if (len - at >= whole && memcmp(b + at, c->prefix, c->prefix_len) == 0) {
      on_payload(c, b + at + c->prefix_len, now);
      at += whole;
      continue;
    }
    const uint8_t *first = NULL;
    size_t first_len = 0;
    size_t k = resp_value(b + at, len - at, &first, &first_len, 0);
    if (k == 0) break;
    if (k == (size_t)-1) {
      protocol_error(c, "bad RESP", b + at, len - at);
      mark_closed(c);
      return len;
    }
    if (b[at] == '-') protocol_error(c, "server error", b + at, k);
    else if (first && first_len == 9 && memcmp(first, "subscribe", 9) == 0) joined(c);
    else if (b[at] == '+' && !c->receiver) joined(c);  // +PONG
    at += k;
  }
  return at;
}

static uint32_t redis_template(int s, uint8_t *b) {
  int n = snprintf((char *)b, 256, "*3\r\n$7\r\nPUBLISH\r\n$%zu\r\n%s\r\n$%d\r\n",
                   strlen(room) + 0, room, size);
  (void)s;
  tmpl_text[s] = (uint32_t)n;
  memset(b + n, 'x', size);
  memcpy(b + n + size, "\r\n", 2);
  return (uint32_t)(n + size + 2);
}

// ---- NATS -----------------------------------------------------------------

static void nats_start(conn *c) {
  char b[512];
  int n = snprintf(b, sizeof b,
                   "CONNECT {\"verbose\":false,\"pedantic\":false,\"echo\":false,"
                   "\"name\":\"%s\",\"lang\":\"c\",\"version\":\"1\",\"protocol\":1}\r\n"
                   "SUB %s 1\r\nPING\r\n",
                   c->name, c->room);
  send_now(c, b, (size_t)n);
  char pre[128];
  int m = snprintf(pre, sizeof pre, "MSG %s 1 %d\r\n", c->room, size);
  c->prefix = (uint8_t *)strndup(pre, (size_t)m);
  c->prefix_len = (uint32_t)m;
}

static size_t nats_parse(conn *c, const uint8_t *b, size_t len, uint64_t now) {
  size_t at = 0;
  size_t whole = c->prefix_len + (size_t)size + 2;
  while (at < len) {
    if (len - at >= whole && memcmp(b + at, c->prefix, c->prefix_len) == 0) {
      on_payload(c, b + at + c->prefix_len, now);
      at += whole;
      continue;
    }
    const uint8_t *nl = memchr(b + at, '\n', len - at);
    if (!nl) break;
    size_t line = (size_t)(nl - (b + at)) + 1;
    const uint8_t *p = b + at;
    if (line >= 4 && memcmp(p, "MSG ", 4) == 0) {
      // MSG subject sid [reply] size: skip the payload.
      const uint8_t *sp = nl;
      while (sp > p && sp[-1] != ' ') sp--;
      size_t n = (size_t)atol((const char *)sp);
      if (len - at < line + n + 2) break;
      if (n == (size_t)size) on_payload(c, p + line, now);
      else c->w->bad++;
      at += line + n + 2;
      continue;
    }
    if (line >= 4 && memcmp(p, "PING", 4) == 0) send_now(c, "PONG\r\n", 6);
    else if (line >= 4 && memcmp(p, "PONG", 4) == 0) joined(c);
    else if (line >= 4 && memcmp(p, "-ERR", 4) == 0) protocol_error(c, "server error", p, line);
    at += line;
  }
  return at;
}

static uint32_t nats_template(int s, uint8_t *b) {
  int n = snprintf((char *)b, 256, "PUB %s %d\r\n", room, size);
  tmpl_text[s] = (uint32_t)n;
  memset(b + n, 'x', size);
  memcpy(b + n + size, "\r\n", 2);
  return (uint32_t)(n + size + 2);
}

// ---- IRC ------------------------------------------------------------------

static void irc_start(conn *c) {
  char b[256];
  int n = snprintf(b, sizeof b, "NICK %s\r\nUSER u 0 * :loadgen\r\n", c->name);
  send_now(c, b, (size_t)n);
}

// The numeric of a server line ":server NNN ...", or -1.
static int irc_numeric(const uint8_t *p, size_t n) {
  if (n < 6 || p[0] != ':') return -1;
  const uint8_t *sp = memchr(p, ' ', n);
  if (!sp || (size_t)(sp - p) + 5 > n) return -1;
  if (sp[1] < '0' || sp[1] > '9' || sp[4] != ' ') return -1;
  return (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
}

static size_t irc_parse(conn *c, const uint8_t *b, size_t len, uint64_t now) {
  size_t at = 0;
  while (at < len) {
    const uint8_t *p = b + at;
    const uint8_t *nl = memchr(p, '\n', len - at);
    if (!nl) break;
    size_t line = (size_t)(nl - p) + 1;
    at += line;
    // ":nick!user@host PRIVMSG #room :text\r\n": the text is the line's tail.
    if (p[0] == ':' && line > (size_t)size + 12 && nl[-1] == '\r' &&
        nl[-2 - size] == ':') {
      const uint8_t *sp = memchr(p, ' ', line);
      if (sp && memcmp(sp + 1, "PRIVMSG ", 8) == 0) {
        on_payload(c, nl - 1 - size, now);
        continue;
      }
    }
    if (line >= 4 && memcmp(p, "PING", 4) == 0) {
      char pong[300];
      size_t k = line < 280 ? line : 280;
      memcpy(pong, p, k);
      pong[1] = 'O';
      send_now(c, pong, k);
      continue;
    }
    if (line >= 5 && memcmp(p, "ERROR", 5) == 0) {
      protocol_error(c, "server error", p, line);
      continue;
    }
    int num = irc_numeric(p, line);
    if (num == 1 && c->step == 0) {
      c->step = 1;
      char j[128];
      int n = snprintf(j, sizeof j, "JOIN #%s\r\n", c->room);
      send_now(c, j, (size_t)n);
    } else if (num == 366) {
      joined(c);
    } else if (num >= 400 && num < 600) {
      protocol_error(c, "server refused", p, line);
    }
  }
  return at;
}

static uint32_t irc_template(int s, uint8_t *b) {
  int n = snprintf((char *)b, 256, "PRIVMSG #%s :", room);
  tmpl_text[s] = (uint32_t)n;
  memset(b + n, 'x', size);
  memcpy(b + n + size, "\r\n", 2);
  return (uint32_t)(n + size + 2);
}

#include "loadgen_udp.c"
#include "loadgen_ws.c"

// ---- dispatch ---------------------------------------------------------------

static void proto_start(conn *c) {
  switch (proto) {
    case P_ROOMCAST: rc_start(c); break;
    case P_REDIS: redis_start(c); break;
    case P_NATS: nats_start(c); break;
    case P_IRC: irc_start(c); break;
    case P_RC_UDP: udp_start(c); break;
    case P_RC_WS: ws_start(c); break;
  }
}

static size_t proto_parse(conn *c, const uint8_t *b, size_t len, uint64_t now) {
  switch (proto) {
    case P_ROOMCAST: return rc_parse(c, b, len, now);
    case P_REDIS: return redis_parse(c, b, len, now);
    case P_NATS: return nats_parse(c, b, len, now);
    case P_IRC: return irc_parse(c, b, len, now);
    case P_RC_WS: return ws_parse(c, b, len, now);
    case P_RC_UDP: break;  // udp_read
  }
  return len;
}

static uint32_t proto_template(int s, uint8_t *b) {
  switch (proto) {
    case P_ROOMCAST: return rc_template(s, b);
    case P_REDIS: return redis_template(s, b);
    case P_NATS: return nats_template(s, b);
    case P_IRC: return irc_template(s, b);
    case P_RC_UDP: return rc_template(s, b);  // unused: udp_send_says
    case P_RC_WS: return ws_template(s, b);
  }
  return 0;
}

static void do_read(conn *c, uint64_t now) {
  if (proto == P_RC_UDP) {
    udp_read(c, now);
    return;
  }
  worker *w = c->w;
  uint8_t *buf = w->scratch;
  size_t have = c->carry_len, room = SCRATCH - have;
  if (have > SCRATCH / 2) {
    // A message bigger than the scratch buffer (a WebSocket batch): read on
    // into the carry buffer, grown as needed, and parse from there.
    if (c->carry_cap < have + SCRATCH / 2) {
      c->carry_cap = (uint32_t)(have * 2);
      c->carry = realloc(c->carry, c->carry_cap);
    }
    buf = c->carry;
    room = c->carry_cap - have;
  } else if (have) {
    memcpy(buf, c->carry, have);
  }
  ssize_t n = read(c->fd, buf + have, room);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
    mark_closed(c);
    return;
  }
  if (n < 0) return;
  atomic_store_explicit(&w->bytes,
                        atomic_load_explicit(&w->bytes, memory_order_relaxed) + (uint64_t)n,
                        memory_order_relaxed);
  atomic_store_explicit(&w->reads,
                        atomic_load_explicit(&w->reads, memory_order_relaxed) + 1,
                        memory_order_relaxed);
  size_t len = have + (size_t)n;
  size_t used = proto_parse(c, buf, len, now);
  if (c->closed) return;
  size_t rest = len - used;
  if (buf == c->carry) {
    memmove(c->carry, c->carry + used, rest);
  } else {
    if (rest > c->carry_cap) {
      c->carry_cap = (uint32_t)rest;
      c->carry = realloc(c->carry, rest);
    }
    if (rest) memcpy(c->carry, buf + used, rest);
  }
  c->carry_len = (uint32_t)rest;
  if (rest >= 64u << 20) {
    protocol_error(c, "frame too large for the generator", buf + used, 16);
    mark_closed(c);
  }
}

// ---- connecting -------------------------------------------------------------

static int dial(const char *addr) {
  int fd;
  if (strncmp(addr, "unix:", 5) == 0) {
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strncpy(sa.sun_path, addr + 5, sizeof sa.sun_path - 1);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) return -1;
  } else if (strncmp(addr, "udp:", 4) == 0) {
    return udp_dial(addr + 4);
  } else if (strncmp(addr, "tcp:", 4) == 0 || strncmp(addr, "ws:", 3) == 0) {
    const char *hp = addr + (addr[0] == 'w' ? 3 : 4);  // ws:HOST:PORT: TCP to the HTTP port
    char host[64];
    const char *colon = strrchr(hp, ':');
    if (!colon) return -1;
    size_t hl = (size_t)(colon - hp);
    if (hl >= sizeof host) return -1;
    memcpy(host, hp, hl);
    host[hl] = 0;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) return -1;
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  } else {
    return -1;
  }
  return fd;
}

static int total_joined(void) {
  int n = 0;
  for (int i = 0; i < threads; i++) n += atomic_load(&workers[i].joined);
  return n;
}

static uint64_t total_delivered(void) {
  uint64_t n = 0;
  for (int i = 0; i < threads; i++)
    n += atomic_load_explicit(&workers[i].delivered, memory_order_relaxed);
  return n;
}

// Deliveries, plus (over UDP) the events the server numbered that never
// arrived: what the in-flight window and the drain wait for.
static uint64_t total_settled(void) {
  uint64_t n = total_delivered();
  for (int i = 0; i < threads; i++)
    n += atomic_load_explicit(&workers[i].udp_lost, memory_order_relaxed);
  return n;
}

static uint64_t total_reads(void) {
  uint64_t n = 0;
  for (int i = 0; i < threads; i++)
    n += atomic_load_explicit(&workers[i].reads, memory_order_relaxed);
  return n;
}

static uint64_t total_bytes(void) {
  uint64_t n = 0;
  for (int i = 0; i < threads; i++)
    n += atomic_load_explicit(&workers[i].bytes, memory_order_relaxed);
  return n;
}

// ---- sending ----------------------------------------------------------------

// Send up to k messages of sender s; returns how many went out.
static long send_batch(int s, long k, uint64_t now) {
  conn *c = &conns[s];
  if (c->closed || k <= 0) return 0;
  if (proto == P_RC_UDP) {
    k = udp_send_says(c, s, k, now);
  } else {
    for (long i = 0; i < k; i++) {
      sent[s]++;
      fill_text(tmpl[s] + tmpl_text[s], s, sent[s], now);
      if (proto == P_RC_WS) ws_queue(c, tmpl[s], tmpl_len[s]);
      else queue_out(c, tmpl[s], tmpl_len[s]);
    }
    flush_out(c);
  }
  sent_total += (uint64_t)k;
  if (atomic_load_explicit(&phase, memory_order_relaxed) == PH_MEASURE)
    sent_in_window += (uint64_t)k;
  return k;
}

// Whether sender connection c can take more now.
static int can_send(conn *c) {
  if (c->closed) return 0;
  if (proto == P_RC_UDP) return udp_can_send(c);
  return c->out_len <= 64 * 1024;
}

static int rr = 0;

// W1: keep at most window_msgs messages in flight, counted end to end:
// sent x receivers - delivered, in deliveries.
static void pump_w1(uint64_t now) {
  uint64_t delivered = total_settled();
  int64_t outstanding = (int64_t)(sent_total * (uint64_t)receivers_per_msg) - (int64_t)delivered;
  int64_t budget = window_msgs - outstanding / receivers_per_msg;
  while (budget > 0) {
    int progressed = 0;
    for (int i = 0; i < senders && budget > 0; i++) {
      int s = (rr + i) % senders;
      if (!can_send(&conns[s])) continue;
      long k = budget < batch ? budget : batch;
      if (proto == P_RC_UDP) {
        // A datagram costs the server a system call per member: senders
        // wait until a full datagram of messages may be in flight.
        long full = udp_capacity(&conns[s]);
        if (full > window_msgs) full = window_msgs;
        if (budget < full) break;
        k = full;
      }
      k = send_batch(s, k, now);
      budget -= k;
      if (k > 0) progressed = 1;
    }
    rr = (rr + 1) % senders;
    if (!progressed) break;
  }
}

// W2: a fixed total rate, round-robin over the senders, paced by a timerfd.
static uint64_t w2_start = 0;
static void pump_w2(uint64_t now) {
  if (w2_start == 0) w2_start = now;
  uint64_t due = (uint64_t)((double)(now - w2_start) * rate / 1e9) + 1;
  while (sent_total < due) {
    int s = (int)(sent_total % (uint64_t)senders);
    if (send_batch(s, 1, now_ns()) == 0) break;  // closed, or 32 unacknowledged
  }
}

// ---- the loop ---------------------------------------------------------------

static void loop_once(worker *w, int timeout_ms, int timer_fd) {
  struct epoll_event evs[256];
  int n = epoll_wait(w->epfd, evs, 256, timeout_ms);
  uint64_t now = now_ns();
  if (proto == P_RC_UDP) udp_tick(w, now);
  for (int i = 0; i < n; i++) {
    if (evs[i].data.ptr == NULL) {  // the W2 timer
      uint64_t ticks;
      if (read(timer_fd, &ticks, sizeof ticks) < 0) continue;
      continue;
    }
    conn *c = evs[i].data.ptr;
    if (c->closed) continue;
    if (evs[i].events & EPOLLOUT) flush_out(c);
    if (!c->closed && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) do_read(c, now);
  }
}

static void *worker_main(void *arg) {
  worker *w = arg;
  while (atomic_load(&phase) != PH_DONE) loop_once(w, 50, -1);
  return NULL;
}

static void add_conn(int i, const char *addr) {
  conn *c = &conns[i];
  int fd = -1;
  for (int attempt = 0; attempt < 50 && fd < 0; attempt++) {
    fd = dial(addr);
    if (fd < 0) usleep(20000);
  }
  if (fd < 0) die("Cannot connect to %s", addr);
  c->fd = fd;
  proto_start(c);  // blocking socket: the handshake is written whole
  set_nonblock(fd);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
  if (c->out_len) ev.events |= EPOLLOUT;
  epoll_ctl(c->w->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void usage(void) {
  fprintf(stderr,
          "usage: loadgen --proto roomcast|redis|nats|irc --addr tcp:HOST:PORT|unix:PATH[,...]\n"
          "  (roomcast also udp:HOST:PORT, its UDP transport, and ws:HOST:PORT, its WebSocket,\n"
          "  with --ws-protocol json|batch|binary: roomcast.v1, roomcast.batch.v1, roomcast.binary.v1)\n"
          "  --workload w1|w2|w3 --members S --senders N --size BYTES --threads T\n"
          "  --warmup S --duration S --drain S --settle S --window MSGS --batch N\n"
          "  --rate MSGS_PER_S --room NAME --room-size N --pid PID[,PID] --max-pending N\n");
  exit(2);
}

static void split_list(char *s, void (*each)(const char *)) {
  for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) each(tok);
}
static void add_addr(const char *a) {
  if (naddrs < MAX_ADDRS) addrs[naddrs++] = strdup(a);
}
static void add_pid(const char *p) {
  if (npids < 16) pids[npids++] = atoi(p);
}

static void parse_args(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *k = argv[i];
    if (i + 1 >= argc) usage();
    char *v = argv[++i];
    if (!strcmp(k, "--proto")) {
      if (!strcmp(v, "roomcast")) proto = P_ROOMCAST;
      else if (!strcmp(v, "redis")) proto = P_REDIS;
      else if (!strcmp(v, "nats")) proto = P_NATS;
      else if (!strcmp(v, "irc")) proto = P_IRC;
      else usage();
    } else if (!strcmp(k, "--workload")) {
      if (!strcmp(v, "w1")) workload = W1;
      else if (!strcmp(v, "w2")) workload = W2;
      else if (!strcmp(v, "w3")) workload = W3;
      else usage();
    } else if (!strcmp(k, "--addr")) split_list(v, add_addr);
    else if (!strcmp(k, "--pid")) split_list(v, add_pid);
    else if (!strcmp(k, "--members")) members = atoi(v);
    else if (!strcmp(k, "--senders")) senders = atoi(v);
    else if (!strcmp(k, "--size")) size = atoi(v);
    else if (!strcmp(k, "--threads")) threads = atoi(v);
    else if (!strcmp(k, "--warmup")) warmup_s = atof(v);
    else if (!strcmp(k, "--duration")) duration_s = atof(v);
    else if (!strcmp(k, "--drain")) drain_s = atof(v);
    else if (!strcmp(k, "--settle")) settle_s = atof(v);
    else if (!strcmp(k, "--window")) window_msgs = atol(v);
    else if (!strcmp(k, "--batch")) batch = atoi(v);
    else if (!strcmp(k, "--max-pending")) max_pending = atoi(v);
    else if (!strcmp(k, "--rate")) rate = atol(v);
    else if (!strcmp(k, "--room")) room = v;
    else if (!strcmp(k, "--room-size")) room_size = atol(v);
    else if (!strcmp(k, "--ws-protocol")) {
      if (!strcmp(v, "json")) ws_protocol = WS_JSON;
      else if (!strcmp(v, "batch")) ws_protocol = WS_BATCH;
      else if (!strcmp(v, "binary")) ws_protocol = WS_BINARY;
      else usage();
    } else usage();
  }
  if (naddrs == 0 || members < 2 || threads < 1 || size < TEXT_MIN || size > 60000 ||
      window_msgs < 1 || batch < 1 || rate < 1)
    usage();
  if (workload != W3 && (senders < 1 || senders >= members || senders > MAX_SENDERS)) usage();
  if (workload == W3) senders = 0;
  if (proto == P_ROOMCAST && strncmp(addrs[0], "udp:", 4) == 0) proto = P_RC_UDP;
  if (proto == P_ROOMCAST && strncmp(addrs[0], "ws:", 3) == 0) {
    proto = P_RC_WS;
    snprintf(ws_host, sizeof ws_host, "%s", addrs[0] + 3);
  }
  for (int i = 1; i < naddrs; i++)
    if ((proto == P_RC_UDP) != (strncmp(addrs[i], "udp:", 4) == 0) ||
        (proto == P_RC_WS) != (strncmp(addrs[i], "ws:", 3) == 0))
      die("Cannot mix transports in --addr: %s", addrs[i]);
}

static double percentile(const uint32_t *hist, uint64_t n, double q) {
  if (n == 0) return 0;
  uint64_t want = (uint64_t)(q * (double)n);
  if (want >= n) want = n - 1;
  uint64_t seen = 0;
  for (int i = 0; i < HIST_US; i++) {
    seen += hist[i];
    if (seen > want) return i + 0.5;
  }
  return HIST_US;
}

int main(int argc, char **argv) {
  parse_args(argc, argv);
  // Handshakes in flight while connecting. InspIRCd completes registrations
  // in its once-a-second background loop, so IRC needs many at once.
  if (max_pending < 0) max_pending = proto == P_IRC ? 2000 : 500;
  signal(SIGPIPE, SIG_IGN);
  for (int i = 0; i < 256; i++) unhex[i] = 0;
  for (int i = 0; i < 10; i++) unhex['0' + i] = (int8_t)i;
  for (int i = 0; i < 6; i++) unhex['a' + i] = (int8_t)(10 + i);

  // Raise the open-file limit for this process as far as allowed.
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rlim_t want = (rlim_t)(members + senders) * 2 + 256;
  if (rl.rlim_max < want) {
    struct rlimit up = {want, want};
    if (setrlimit(RLIMIT_NOFILE, &up) == 0) rl = up;
  }
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);

  // The room model: redis publishers cannot be subscribers (RESP2), so they
  // are extra connections and S-1 subscribers receive; everywhere else the
  // senders are members and each message reaches the other S-1 members.
  nconns = members;
  if (workload != W3 && proto == P_REDIS) nconns = senders + members - 1;
  receivers_per_msg = members - 1;
  conns = calloc((size_t)nconns, sizeof(conn));
  workers = calloc((size_t)threads, sizeof(worker));
  for (int t = 0; t < threads; t++) {
    workers[t].id = t;
    workers[t].epfd = epoll_create1(0);
    workers[t].scratch = malloc(SCRATCH);
    if (workload == W2) workers[t].hist = calloc(HIST_US, sizeof(uint32_t));
  }
  for (int i = 0; i < nconns; i++) {
    conn *c = &conns[i];
    c->idx = i;
    c->sender = (workload != W3 && i < senders) ? i : -1;
    c->receiver = (proto == P_REDIS && c->sender >= 0) ? 0 : 1;
    // Senders live on worker 0, receivers are spread over all workers.
    c->w = &workers[c->sender >= 0 ? 0 : i % threads];
    if (room_size > 0) snprintf(c->room, sizeof c->room, "%s%ld", room, i / room_size);
    else snprintf(c->room, sizeof c->room, "%s", room);
    snprintf(c->name, sizeof c->name, "m%d", i);
    c->last = calloc(MAX_SENDERS, sizeof(uint32_t));
  }

  long rss_before = rss_server_kib();
  uint64_t t_setup = now_ns();
  for (int t = 1; t < threads; t++) pthread_create(&workers[t].thread, NULL, worker_main, &workers[t]);

  // Connect every member, at most max_pending handshakes at a time.
  worker *w0 = &workers[0];
  long rss_half = 0;
  int half = nconns / 2;
  for (int i = 0; i < nconns; i++) {
    if (workload == W3 && i == half) {
      // W3 also reads RSS with half the members in, settled, so that the
      // cost of the second half (the marginal cost of a member, without
      // the fixed costs of starting to serve) can be told apart.
      while (total_joined() < half) loop_once(w0, 1, -1);
      uint64_t until = now_ns() + (uint64_t)(settle_s * 1e9);
      while (now_ns() < until) loop_once(w0, 10, -1);
      rss_half = rss_server_kib();
    }
    while (i - total_joined() >= max_pending) {
      loop_once(w0, 1, -1);
      if (now_ns() - t_setup > 120e9) die("Cannot join: %s", "setup took over 120 s");
    }
    add_conn(i, addrs[i % naddrs]);
  }
  while (total_joined() < nconns) {
    loop_once(w0, 1, -1);
    if (atomic_load(&disconnects) > 0) die("Cannot join: %s", "the server closed a connection during setup");
    if (now_ns() - t_setup > 120e9) die("Cannot join: %s", "setup took over 120 s");
  }
  double setup_s = (double)(now_ns() - t_setup) / 1e9;

  printf("{\"proto\":\"%s\",\"transport\":\"%s\",\"workload\":\"w%d\",\"members\":%d,"
         "\"connections\":%d,\"threads\":%d,\"setup_s\":%.3f",
         proto == P_REDIS ? "redis" : proto == P_NATS ? "nats" : proto == P_IRC ? "irc" : "roomcast",
         proto == P_RC_UDP ? "udp" : proto == P_RC_WS ? "ws" : strncmp(addrs[0], "unix:", 5) == 0 ? "unix" : "tcp",
         workload + 1, members, nconns, threads, setup_s);
  if (proto == P_RC_WS) printf(",\"ws_protocol\":\"%s\"", WS_PROTOCOL_NAMES[ws_protocol]);

  if (workload == W3) {
    uint64_t until = now_ns() + (uint64_t)(settle_s * 1e9);
    while (now_ns() < until) loop_once(w0, 10, -1);
    long rss_after = rss_server_kib();
    printf(",\"room_size\":%ld,\"rss_before_kib\":%ld,\"rss_half_kib\":%ld,"
           "\"rss_after_kib\":%ld,\"rss_per_member_kib\":%.3f,"
           "\"rss_marginal_kib\":%.3f,\"disconnects\":%d}\n",
           room_size > 0 ? room_size : members, rss_before, rss_half, rss_after,
           (double)(rss_after - rss_before) / members,
           (double)(rss_after - rss_half) / (nconns - half), atomic_load(&disconnects));
    atomic_store(&phase, PH_DONE);
    for (int t = 1; t < threads; t++) pthread_join(workers[t].thread, NULL);
    return 0;
  }

  for (int s = 0; s < senders; s++) {
    tmpl[s] = malloc(512 + (size_t)size);
    tmpl_len[s] = proto_template(s, tmpl[s]);
  }
  int timer_fd = -1;
  if (workload == W2) {
    timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    long period_ns = 1000000000L / rate;
    if (period_ns < 100000) period_ns = 100000;
    struct itimerspec its = {.it_interval = {0, period_ns}, .it_value = {0, period_ns}};
    timerfd_settime(timer_fd, 0, &its, NULL);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(w0->epfd, EPOLL_CTL_ADD, timer_fd, &ev);
  }

  uint64_t t0 = now_ns();
  uint64_t t_measure = t0 + (uint64_t)(warmup_s * 1e9);
  uint64_t t_end = t_measure + (uint64_t)(duration_s * 1e9);
  atomic_store(&phase, PH_WARMUP);
  uint64_t d0 = 0, b0 = 0, d1 = 0, b1 = 0, r0 = 0, r1 = 0;
  double g0 = 0, g1 = 0, c0 = 0, c1 = 0, k0 = 0, k1 = 0;
  uint64_t m0 = 0, m1 = 0;
  for (;;) {
    uint64_t now = now_ns();
    int ph = atomic_load(&phase);
    if (ph == PH_WARMUP && now >= t_measure) {
      d0 = total_delivered(); b0 = total_bytes(); r0 = total_reads();
      g0 = cpu_self_s(); c0 = cpu_server_s(); k0 = cpu_machine_s(); m0 = now_ns();
      sent_in_window = 0;
      atomic_store(&phase, PH_MEASURE);
      ph = PH_MEASURE;
    }
    if (ph == PH_MEASURE && now >= t_end) {
      d1 = total_delivered(); b1 = total_bytes(); r1 = total_reads();
      g1 = cpu_self_s(); c1 = cpu_server_s(); k1 = cpu_machine_s(); m1 = now_ns();
      atomic_store(&phase, PH_DRAIN);
      ph = PH_DRAIN;
    }
    if (ph == PH_DRAIN) {
      if (total_settled() >= sent_total * (uint64_t)receivers_per_msg ||
          now >= t_end + (uint64_t)(drain_s * 1e9))
        break;
      loop_once(w0, 1, timer_fd);
      continue;
    }
    if (workload == W1) pump_w1(now);
    else pump_w2(now);
    loop_once(w0, workload == W2 ? 5 : (threads > 1 ? 1 : 5), timer_fd);
  }
  atomic_store(&phase, PH_DONE);
  for (int t = 1; t < threads; t++) pthread_join(workers[t].thread, NULL);

  double secs = (double)(m1 - m0) / 1e9;
  uint64_t expected = sent_total * (uint64_t)receivers_per_msg;
  uint64_t received = total_delivered();
  uint64_t gaps = 0, dups = 0, bad = 0, errors = 0, hist_n = 0, lat_max = 0;
  for (int t = 0; t < threads; t++) {
    gaps += workers[t].gaps; dups += workers[t].dups;
    bad += workers[t].bad; errors += workers[t].errors;
    hist_n += workers[t].hist_n;
    if (workers[t].lat_max_ns > lat_max) lat_max = workers[t].lat_max_ns;
  }
  double deliveries = (double)(d1 - d0);
  printf(",\"senders\":%d,\"size\":%d,\"window\":%ld,\"rate\":%ld,\"receivers_per_msg\":%d,"
         "\"duration_s\":%.3f,\"sent\":%" PRIu64 ",\"sent_per_s\":%.1f,\"deliveries\":%.0f,"
         "\"deliveries_per_s\":%.1f,\"bytes_per_s\":%.1f,\"total_sent\":%" PRIu64 ",\"expected\":%" PRIu64
         ",\"received\":%" PRIu64 ",\"lost\":%" PRId64 ",\"seq_gaps\":%" PRIu64 ",\"seq_dups\":%" PRIu64
         ",\"bad\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"disconnects\":%d",
         senders, size, window_msgs, workload == W2 ? rate : 0, receivers_per_msg, secs,
         sent_in_window, sent_in_window / secs, deliveries, deliveries / secs,
         (double)(b1 - b0) / secs, sent_total, expected, received,
         (int64_t)expected - (int64_t)received, gaps, dups, bad, errors,
         atomic_load(&disconnects));
  printf(",\"gen_cpu_s\":%.3f,\"gen_cpu_cores\":%.3f", g1 - g0, (g1 - g0) / secs);
  // How many deliveries each read() brought: the server's write batching.
  printf(",\"reads_per_s\":%.1f,\"deliveries_per_read\":%.2f", (double)(r1 - r0) / secs,
         r1 > r0 ? deliveries / (double)(r1 - r0) : 0);
  printf(",\"machine_busy_cores\":%.3f", (k1 - k0) / secs);
  if (proto == P_RC_UDP) {
    // Datagrams received at the generator (= reads over UDP) and sent by
    // the senders; events lost or late as the server numbered them.
    uint64_t lost_ev = 0, late = 0, rexmit = 0;
    for (int t = 0; t < threads; t++) {
      lost_ev += atomic_load(&workers[t].udp_lost);
      late += workers[t].udp_late;
      rexmit += workers[t].udp_retransmits;
    }
    printf(",\"datagrams_per_s\":%.1f,\"deliveries_per_datagram\":%.2f,"
           "\"sent_datagrams_per_s\":%.1f,\"messages_per_sent_datagram\":%.2f,"
           "\"udp_lost_events\":%" PRIu64 ",\"udp_late_datagrams\":%" PRIu64
           ",\"udp_retransmits\":%" PRIu64,
           (double)(r1 - r0) / secs, r1 > r0 ? deliveries / (double)(r1 - r0) : 0,
           udp_dg_sent_in_window / secs,
           udp_dg_sent_in_window ? (double)sent_in_window / udp_dg_sent_in_window : 0,
           lost_ev, late, rexmit);
  }
  if (npids > 0)
    printf(",\"other_cores\":%.3f", fmax(0, ((k1 - k0) - (c1 - c0) - (g1 - g0)) / secs));
  if (npids > 0)
    printf(",\"server_cpu_s\":%.3f,\"server_cpu_cores\":%.3f,\"server_ns_per_delivery\":%.1f",
           c1 - c0, (c1 - c0) / secs, deliveries > 0 ? (c1 - c0) * 1e9 / deliveries : 0);
  if (workload == W2) {
    uint32_t *h = workers[0].hist;
    for (int t = 1; t < threads; t++)
      for (int i = 0; i < HIST_US; i++) h[i] += workers[t].hist[i];
    printf(",\"latency_us\":{\"count\":%" PRIu64 ",\"p50\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f}",
           hist_n, percentile(h, hist_n, 0.50), percentile(h, hist_n, 0.99),
           percentile(h, hist_n, 0.999), (double)lat_max / 1000.0);
  }
  printf("}\n");
  return 0;
}
