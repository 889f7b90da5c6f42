// roomcast over a WebSocket (GET /api/ws, docs/http.md section 5),
// #included by loadgen.c.
//
// The upgrade request carries a fixed Sec-WebSocket-Key and offers the
// subprotocol roomcast.v1; once the 101 answer is in, the member sends its
// join. Every message is one JSON object in a text frame: client frames are
// masked (RFC 6455), server frames are not and are parsed by their header.
// A MESSAGE event is told by its first 17 bytes ({"type":"message") and its
// text is the payload's last `size` + 2 bytes before "}: the generator's
// texts are ASCII without quotes, so JSON does not escape them.

static const uint8_t WS_MASK[4] = {0x5a, 0x17, 0xc3, 0x8e};
static char ws_host[80];

static void ws_queue(conn *c, const uint8_t *payload, size_t len) {
  uint8_t head[14];
  size_t h = 0;
  head[h++] = 0x81;  // FIN, text
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

static void ws_start(conn *c) {
  char b[512];
  int n = snprintf(b, sizeof b,
                   "GET /api/ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: roomcast.v1\r\n\r\n",
                   ws_host);
  send_now(c, b, (size_t)n);
}

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
    char j[160];
    int n = snprintf(j, sizeof j, "{\"type\":\"join\",\"room\":\"%s\",\"name\":\"%s\"}",
                     c->room, c->name);
    ws_queue(c, (const uint8_t *)j, (size_t)n);
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
    if (op == 1) {
      ws_event(c, p, plen, now);
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
      c->w->bad++;  // binary or a fragment: the server sends neither
    }
    at += h + plen;
  }
  return at;
}

// A SAY as JSON; the text goes at tmpl_text (masked when queued).
static uint32_t ws_template(int s, uint8_t *b) {
  int n = snprintf((char *)b, 64, "{\"type\":\"say\",\"text\":\"");
  tmpl_text[s] = (uint32_t)n;
  memset(b + n, 'x', size);
  memcpy(b + n + size, "\"}", 2);
  return (uint32_t)(n + size + 2);
}
