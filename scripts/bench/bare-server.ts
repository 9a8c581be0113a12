// The benchmark's baseline: a bare node:http server that reads the request
// body and answers a fixed JSON body, nothing else. scripts/bench/serve.ts
// bundles it and runs it with plain node, like the real server's bundle.
//   node bare-server.mjs --port 0   →   prints "listening on http://127.0.0.1:PORT"
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const BODY = JSON.stringify({ predictions: [{ prediction: 'Adelie', confidence: 0.9997353155940107 }] });

const portArg = process.argv.indexOf('--port');
const port = portArg >= 0 ? Number(process.argv[portArg + 1]) : 0;

const server = createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    if (req.url === '/ping') {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 1 });
      res.end('\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(BODY) });
    res.end(BODY);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
process.once('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
