// nginx as the floor: Debian's nginx-light when installed, with a configuration of our own in a temp dir
// (daemon off, one worker, a keep-alive upstream, proxy_buffering off so streams flow chunk by chunk).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The nginx binary (PATH, then Debian's /usr/sbin), or undefined. */
export function findNginx() {
  for (const bin of ['nginx', '/usr/sbin/nginx']) {
    const r = spawnSync(bin, ['-v'], { encoding: 'utf8' });
    if (r.error === undefined) return { bin, version: (r.stderr || r.stdout).trim().replace(/^nginx version: /, '') };
  }
  return undefined;
}

/** Writes DIR/nginx/nginx.conf and returns the arguments that run it in the foreground. */
export function nginxSetup({ bin, dir, port, upstreamPort, connections, backlog }) {
  const root = join(dir, 'nginx');
  mkdirSync(root, { recursive: true });
  const help = spawnSync(bin, ['-V'], { encoding: 'utf8' }).stderr ?? '';
  // Every temp path nginx was built with must be writable, or it refuses to start as a non-root user.
  const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .filter((m) => m === 'client_body' || m === 'proxy' || !help.includes(`--without-http_${m}_module`))
    .map((m) => {
      const p = join(root, `${m}-temp`);
      if (!existsSync(p)) mkdirSync(p);
      return `  ${m}_temp_path ${p};`;
    })
    .join('\n');
  // Each relayed connection holds a client and an upstream socket.
  const workerConnections = Math.max(4096, 2 * connections + 512);
  const conf = join(root, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile ${2 * workerConnections};
pid ${join(root, 'nginx.pid')};
error_log ${join(root, 'error.log')} warn;
events { worker_connections ${workerConnections}; }
http {
  access_log off;
${temps}
  tcp_nodelay on;
  keepalive_timeout 65s;
  keepalive_requests 1000000;
  upstream bench { server 127.0.0.1:${upstreamPort}; keepalive 256; keepalive_requests 1000000; keepalive_timeout 60s; }
  server {
    listen 127.0.0.1:${port} backlog=${backlog};
    location / {
      proxy_pass http://bench;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 300s;
    }
  }
}
`,
  );
  return { cmd: bin, args: ['-p', root, '-c', conf, '-e', join(root, 'error.log')], workerConnections };
}
