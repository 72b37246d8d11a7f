// A store's network path that can go silent: a TCP proxy on loopback in front of a real server
// that stops passing packets when blackholed (no reset, no error: what a dropped route or a dead
// NAT entry looks like, TCP holding the bytes until the path heals).
import net from "node:net";

/** A TCP proxy to `target`; `blackhole(true)` stops forwarding in both directions (bytes wait). */
export function proxy(target) {
  const pairs = new Set();
  let holes = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    const pair = { client, upstream };
    pairs.add(pair);
    const pipe = (from, to) => from.on("data", (chunk) => { if (!to.write(chunk)) from.pause(); to.once("drain", () => { if (!holes) from.resume(); }); });
    pipe(client, upstream);
    pipe(upstream, client);
    if (holes) { client.pause(); upstream.pause(); }
    const close = () => { client.destroy(); upstream.destroy(); pairs.delete(pair); };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  });
  return {
    listen: () => new Promise((r) => server.listen(0, "127.0.0.1", () => r(server.address().port))),
    blackhole(on) {
      holes = on;
      for (const { client, upstream } of pairs) {
        if (on) { client.pause(); upstream.pause(); } else { client.resume(); upstream.resume(); }
      }
    },
    close: () => { for (const { client, upstream } of pairs) { client.destroy(); upstream.destroy(); } server.close(); },
  };
}

