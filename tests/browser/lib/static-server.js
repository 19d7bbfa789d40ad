// A tiny static file server on a loopback port: the "other origin" a web application's
// pages come from in the browser tests.
'use strict';

const http = require('node:http');

/**
 * Serves `pages` ({ '/path': { type, body } }) on 127.0.0.1 and `port` (0: a free one);
 * resolves to { origin, close }. Any other path is a plain 404.
 */
function serve(pages, port = 0) {
  const server = http.createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const page = pages[path];
    if (!page) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': page.type || 'text/html; charset=utf-8' });
    res.end(page.body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        origin: `http://127.0.0.1:${port}`,
        close: () => new Promise((done) => server.close(done)),
      });
    });
  });
}

module.exports = { serve };
