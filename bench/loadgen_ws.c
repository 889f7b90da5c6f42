// roomcast over a WebSocket (GET /api/ws, docs/http.md section 5),
// #included by loadgen.c.
//
// The upgrade request carries a fixed Sec-WebSocket-Key and offers one
// subprotocol, chosen with --ws-protocol:
// - json (roomcast.v1): one JSON object per text message, both ways;
// - batch (roomcast.batch.v1): JSON commands; events as a JSON array per
//   text message;
// - binary (roomcast.binary.v1): binary frames (docs/protocol.md) both ways,
//   several per binary message.
// Once the 101 answer is in, the member sends its join. Client frames are
// masked (RFC 6455); server frames are not and are parsed by their header.
// A JSON MESSAGE event is told by its first 17 bytes ({"type":"message") and
// its text is the object's last `size` + 2 bytes before "}: the generator's
// texts are ASCII without quotes, so JSON does not escape them. Objects of
// an array are found by their braces, outside strings.

enum ws_protocol { WS_JSON, WS_BATCH, WS_BINARY };
static enum ws_protocol ws_protocol = WS_JSON;
static const char *WS_PROTOCOL_NAMES[] = {"roomcast.v1", "roomcast.batch.v1",
                                          "roomcast.binary.v1"};

static const uint8_t WS_MASK[4] = {0x5a, 0x17, 0xc3, 0x8e};
static char ws_host[80];

// One client message: FIN, the opcode (1 text, 2 binary), masked.
static void ws_queue_op(conn *c, uint8_t op, const uint8_t *payload, size_t len) {
  uint8_t head[14];
  size_t h = 0;
  head[h++] = 0x80 | op;
  if (len < 126) {
    head[h++] = (uint8_t)(0x80 | len);
  } else {
    head[h++] = 0x80 | 126;
    head[h++] = (uint8_t)(len >> 8);
    head[h++] = (uint8_t)len;
  }
  memcpy(head + h, WS_MASK, 4);
  h += 4;
  queue_out(c, head, h);
  queue_out(c, payload, len);  // then masked in place
  if (c->closed) return;
  uint8_t *p = c->out + c->out_len - len;
  for (size_t i = 0; i < len; i++) p[i] ^= WS_MASK[i & 3];
}

// A command message in the protocol's encoding (a SAY template is already
// encoded: see ws_template).
static void ws_queue(conn *c, const uint8_t *payload, size_t len) {
  ws_queue_op(c, ws_protocol == WS_BINARY ? 2 : 1, payload, len);
}

static void ws_start(conn *c) {
  char b[512];
  int n = snprintf(b, sizeof b,
                   "GET /api/ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: %s\r\n\r\n",
                   ws_host, WS_PROTOCOL_NAMES[ws_protocol]);
  send_now(c, b, (size_t)n);
}

// One JSON event object.
static void ws_event(conn *c, const uint8_t *p, size_t n, uint64_t now) {
  if (n > 17 && memcmp(p, "{\"type\":\"message\"", 17) == 0) {
    if (n >= (size_t)size + 20 && p[n - 1] == '}' && p[n - 2] == '"' &&
        p[n - 3 - size] == '"')
      on_payload(c, p + n - 2 - size, now);
    else
      c->w->bad++;
  } else if (n > 17 && memcmp(p, "{\"type\":\"welcome\"", 17) == 0) {
    joined(c);
  } else if (n > 15 && memcmp(p, "{\"type\":\"error\"", 15) == 0) {
    protocol_error(c, "server error", p, n);
  }
}

// A JSON array of event objects: each object by its braces, outside strings.
static void ws_events(conn *c, const uint8_t *p, size_t n, uint64_t now) {
  if (n < 2 || p[0] != '[' || p[n - 1] != ']') {
    c->w->bad++;
    return;
  }
  int depth = 0, in_str = 0;
  size_t start = 0;
  for (size_t i = 1; i + 1 < n; i++) {
    uint8_t ch = p[i];
    if (in_str) {
      if (ch == '\\') i++;
      else if (ch == '"') in_str = 0;
    } else if (ch == '"') {
      in_str = 1;
    } else if (ch == '{' || ch == '[') {
      if (depth++ == 0) start = i;
    } else if (ch == '}' || ch == ']') {
      if (--depth == 0) ws_event(c, p + start, i + 1 - start, now);
    }
  }
}

// Binary frames, whole, back to back.
static void ws_frames(conn *c, const uint8_t *p, size_t n, uint64_t now) {
  size_t at = 0;
  while (n - at >= 6 && p[at] == 0xAB) {
    size_t flen = 6 + (size_t)be32(p + at + 2);
    if (n - at < flen) break;
    rc_event(c, p[at + 1], p + at + 6, flen - 6, now);
    at += flen;
  }
  if (at != n) protocol_error(c, "bad frames in a binary message", p + at, n - at);
}

static size_t ws_parse(conn *c, const uint8_t *b, size_t len, uint64_t now) {
  size_t at = 0;
  if (c->step == 0) {  // the HTTP answer to the upgrade
    const uint8_t *end = memmem(b, len, "\r\n\r\n", 4);
    if (!end) return 0;
    if (len < 12 || memcmp(b, "HTTP/1.1 101", 12) != 0) {
      protocol_error(c, "upgrade refused", b, (size_t)(end - b));
      mark_closed(c);
      return len;
    }
    at = (size_t)(end - b) + 4;
    c->step = 1;
    uint8_t j[160];
    size_t n;
    if (ws_protocol == WS_BINARY) {
      n = rc_frame(j, 0x02, 4 + strlen(c->room) + strlen(c->name));
      n += rc_str(j + n, c->room);
      n += rc_str(j + n, c->name);
    } else {
      n = (size_t)snprintf((char *)j, sizeof j,
                           "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"%s\"}", c->room,
                           c->name);
    }
    ws_queue(c, j, n);
    flush_out(c);
  }
  while (len - at >= 2) {
    uint8_t op = b[at] & 0x0f;
    size_t plen = b[at + 1] & 0x7f, h = 2;
    if (b[at + 1] & 0x80) {
      protocol_error(c, "masked server frame", b + at, 2);
      mark_closed(c);
      return len;
    }
    if (plen == 126) {
      if (len - at < 4) break;
      plen = be16(b + at + 2);
      h = 4;
    } else if (plen == 127) {
      if (len - at < 10) break;
      plen = ((size_t)be32(b + at + 2) << 32) | be32(b + at + 6);
      h = 10;
    }
    if (len - at < h + plen) break;
    const uint8_t *p = b + at + h;
    if (op == 1 && ws_protocol == WS_BATCH) {
      ws_events(c, p, plen, now);
    } else if (op == 1 && ws_protocol == WS_JSON) {
      ws_event(c, p, plen, now);
    } else if (op == 2 && ws_protocol == WS_BINARY) {
      ws_frames(c, p, plen, now);
    } else if (op == 8) {  // close
      protocol_error(c, "server closed the WebSocket", p + (plen >= 2 ? 2 : 0),
                     plen >= 2 ? plen - 2 : 0);
      mark_closed(c);
      return len;
    } else if (op == 9) {  // ping: pong with the same payload
      uint8_t pong[2 + 4 + 125];
      size_t k = plen < 125 ? plen : 125;
      pong[0] = 0x8a;
      pong[1] = (uint8_t)(0x80 | k);
      memcpy(pong + 2, WS_MASK, 4);
      for (size_t i = 0; i < k; i++) pong[6 + i] = p[i] ^ WS_MASK[i & 3];
      send_now(c, pong, 6 + k);
    } else if (op != 10) {
      c->w->bad++;  // the other kind of message, or a fragment: never sent
    }
    at += h + plen;
  }
  return at;
}

// A SAY as JSON, or as a binary frame; the text goes at tmpl_text (masked
// when queued).
static uint32_t ws_template(int s, uint8_t *b) {
  if (ws_protocol == WS_BINARY) return rc_template(s, b);
  int n = snprintf((char *)b, 64, "{\"type\":\"say\",\"text\":\"");
  tmpl_text[s] = (uint32_t)n;
  memset(b + n, 'x', size);
  memcpy(b + n + size, "\"}", 2);
  return (uint32_t)(n + size + 2);
}
