/**
 * The peers the bench compares roomcast with: redis-server (SUBSCRIBE and
 * PUBLISH), nats-server (SUB and PUB) and inspircd (IRC). Each is installed
 * from Debian's packages when missing, started on a free loopback port with
 * a private configuration in a temporary directory, with the open-file limit
 * raised for its process only, and stopped afterwards.
 *
 * @module
 */

import {
  freePort,
  output,
  spawnServer,
  started,
  type Target,
} from "./servers.ts";

/** Debian package and binary of each peer. */
const PACKAGES: Record<string, { pkg: string; bin: string }> = {
  redis: { pkg: "redis-server", bin: "redis-server" },
  nats: { pkg: "nats-server", bin: "nats-server" },
  irc: { pkg: "inspircd", bin: "inspircd" },
};

/** The peers `--vs` knows. */
export const PEERS: readonly string[] = Object.keys(PACKAGES);

async function which(bin: string): Promise<string | undefined> {
  for (
    const dir of ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"]
  ) {
    try {
      await Deno.stat(`${dir}/${bin}`);
      return `${dir}/${bin}`;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Find a peer's binary, installing its Debian package when it is missing.
 *
 * @param peer `redis`, `nats` or `irc`.
 * @param log Progress lines.
 * @returns The binary's path.
 * @throws {Error} When it is missing and cannot be installed.
 */
export async function ensurePeer(
  peer: string,
  log: (line: string) => void,
): Promise<string> {
  const p = PACKAGES[peer];
  if (p === undefined) {
    throw new Error(`Cannot compare with "${peer}": unknown peer`);
  }
  const found = await which(p.bin);
  if (found) return found;
  if (Deno.uid() !== 0) {
    throw new Error(
      `Cannot compare with ${peer}: ${p.bin} is missing (apt-get install ${p.pkg})`,
    );
  }
  log(`installing ${p.pkg} from Debian's packages`);
  const out = await new Deno.Command("apt-get", {
    args: ["install", "-y", "-qq", "--no-install-recommends", p.pkg],
    env: { DEBIAN_FRONTEND: "noninteractive" },
    stdin: "null",
  }).output();
  const installed = await which(p.bin);
  if (!out.success || !installed) {
    throw new Error(
      `Cannot install ${p.pkg}: ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
  return installed;
}

/**
 * redis-server with SUBSCRIBE/PUBLISH, no persistence.
 *
 * @param bin The binary.
 * @param transport `tcp` or `unix`.
 * @returns The target.
 */
export function redisTarget(bin: string, transport: "tcp" | "unix"): Target {
  return {
    name: `redis/${transport}`,
    proto: "redis",
    transport,
    peer: "redis",
    async start() {
      const dir = await Deno.makeTempDir({ prefix: "roomcast-bench-redis-" });
      const port = freePort();
      const socket = `${dir}/redis.sock`;
      const child = spawnServer(bin, [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--unixsocket",
        socket,
        "--unixsocketperm",
        "700",
        "--save",
        "",
        "--appendonly",
        "no",
        "--maxclients",
        "20000",
        "--daemonize",
        "no",
        "--dir",
        dir,
        "--loglevel",
        "warning",
      ]);
      const addr = transport === "tcp"
        ? `tcp:127.0.0.1:${port}`
        : `unix:${socket}`;
      const probe = transport === "tcp"
        ? { hostname: "127.0.0.1", port }
        : { transport: "unix" as const, path: socket };
      return await started(child, [addr], probe, "redis-server", dir);
    },
    version: () => output(bin, ["--version"]),
  };
}

/**
 * nats-server, core NATS (no JetStream), SUB/PUB with echo off.
 *
 * @param bin The binary.
 * @returns The target.
 */
export function natsTarget(bin: string): Target {
  return {
    name: "nats/tcp",
    proto: "nats",
    transport: "tcp",
    peer: "nats",
    async start() {
      const dir = await Deno.makeTempDir({ prefix: "roomcast-bench-nats-" });
      const port = freePort();
      const conf = `${dir}/nats.conf`;
      await Deno.writeTextFile(
        conf,
        `listen: 127.0.0.1:${port}\nmax_connections: 65000\n` +
          `max_payload: 65536\nwrite_deadline: "10s"\n`,
      );
      const child = spawnServer(bin, ["-c", conf]);
      return await started(
        child,
        [`tcp:127.0.0.1:${port}`],
        { hostname: "127.0.0.1", port },
        "nats-server",
        dir,
      );
    },
    version: () => output(bin, ["--version"]),
  };
}

/**
 * InspIRCd with a private configuration: loopback exempt from flood
 * control (no fake lag, huge command rate and threshold) and from the
 * per-IP connection limits.
 *
 * @param bin The binary.
 * @returns The target.
 */
export function ircTarget(bin: string): Target {
  return {
    name: "irc/tcp",
    proto: "irc",
    transport: "tcp",
    peer: "irc",
    async start() {
      const dir = await Deno.makeTempDir({ prefix: "roomcast-bench-irc-" });
      const port = freePort();
      const conf = `${dir}/inspircd.conf`;
      await Deno.writeTextFile(`${dir}/motd`, "roomcast bench\n");
      await Deno.writeTextFile(conf, inspircdConfig(dir, port));
      const child = spawnServer(bin, [
        `--config=${conf}`,
        "--nofork",
        "--runasroot",
        "--nopid",
      ], dir);
      return await started(
        child,
        [`tcp:127.0.0.1:${port}`],
        { hostname: "127.0.0.1", port },
        "inspircd",
        dir,
      );
    },
    version: () => output(bin, ["--version"]),
  };
}

function inspircdConfig(dir: string, port: number): string {
  return `<server name="bench.roomcast.local" description="roomcast bench peer" network="bench">
<admin name="bench" nick="bench" email="bench@localhost">
<bind address="127.0.0.1" port="${port}" type="clients">
<connect name="bench" allow="127.0.0.1" timeout="120" pingfreq="3600"
  hardsendq="33554432" softsendq="1048576" recvq="1048576"
  threshold="1000000" commandrate="1000000000" fakelag="no"
  localmax="1000000" globalmax="1000000" maxconnwarn="no" useident="no"
  resolvehostnames="no" limit="1000000" maxchans="100">
<performance softlimit="60000" somaxconn="4096" clonesonconnect="no" quietbursts="yes">
<files motd="${dir}/motd">
<channels users="100" opers="100">
<options syntaxhints="no" defaultmodes="nt">
<security hidesplits="no" announceinvites="none" flatlinks="no" genericoper="no">
<limits maxnick="30" maxchan="64">
<dns timeout="1" server="127.0.0.1">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="${dir}/inspircd.log">
`;
}
