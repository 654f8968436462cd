// Cost of a new TCP connection through a sandbox Service: 100 sequential HTTP requests (one
// connection each, busybox wget) from a client pod to the Service name, against the same 100
// straight to the pod IP, then per form of the Service's DNS name. Usage: node bench/sandbox-service-connections.ts [rounds]
import { startSandbox } from '../test/helpers/sandbox.ts';

const rounds = Number(process.argv[2] ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sb = await startSandbox();
try {
  await sb.kubectl([
    'run',
    'web',
    '--image=busybox:1.36',
    '--labels=app=web',
    '--',
    'sh',
    '-c',
    'mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www',
  ]);
  await sb.kubectl(['expose', 'pod', 'web', '--port=80', '--target-port=8080']);
  await sb.kubectl(['run', 'client', '--image=busybox:1.36', '--', 'sleep', '3600']);
  await sb.kubectl(['wait', '--for=condition=Ready', 'pod/web', 'pod/client', '--timeout=60s']);
  const podIP = (await sb.kubectl(['get', 'pod', 'web', '-o', 'jsonpath={.status.podIP}'])).stdout.trim();
  const loop = (url: string) => `for i in $(seq 100); do wget -qO- ${url} >/dev/null || { echo failed; exit 1; }; done`;
  const timed = async (url: string) => {
    const t = performance.now();
    await sb.kubectl(['exec', 'client', '--', 'sh', '-c', loop(url)]);
    return performance.now() - t;
  };
  // Warm up: the Service's first connection waits for the proxy container.
  await timed('http://web/');
  const direct: number[] = [];
  const service: number[] = [];
  for (let i = 0; i < rounds; i++) {
    direct.push(await timed(`http://${podIP}:8080/`));
    service.push(await timed('http://web/'));
  }
  const show = (xs: number[]) => xs.map((x) => (x / 100).toFixed(1)).join(', ');
  console.log(`rounds: ${rounds} x 100 connections (ms per connection, kubectl exec included)`);
  console.log(`pod IP directly:   median ${(median(direct) / 100).toFixed(1)}  [${show(direct)}]`);
  console.log(`through Service:   median ${(median(service) / 100).toFixed(1)}  [${show(service)}]`);
  console.log(`Service overhead:  ${((median(service) - median(direct)) / 100).toFixed(1)} ms per connection`);
  // The name's form matters too: forms with dots go through the pod's search list (ndots:5) and
  // Docker's embedded DNS before they resolve.
  for (const host of ['web', 'web.default', 'web.default.svc', 'web.default.svc.cluster.local']) {
    console.log(
      `http://${host}/ `.padEnd(40),
      `${((await timed(`http://${host}/`)) / 100).toFixed(1)} ms per connection`,
    );
  }
} finally {
  await sb.stop();
}
