#!/usr/bin/env node
// Stands in for bin/sidecar in index.test.mjs: speaks the same handshake (execute --port N --signal PID,
// SIGUSR2 once listening) and answers by path, so the Node half's wire format and status mapping can be
// checked exactly.
'use strict'
const http = require('http')
const args = process.argv.slice(2)
const port = Number(args[args.indexOf('--port') + 1])
const parent = Number(args[args.indexOf('--signal') + 1])

const server = http.createServer((req, res) => {
  let body = ''
  req.setEncoding('utf8')
  req.on('data', (c) => (body += c))
  req.on('end', () => {
    const reply = (status, type, text) => {
      res.writeHead(status, type ? { 'content-type': type } : {})
      res.end(text)
    }
    switch (req.url) {
      case '/record': return reply(200, 'application/json', JSON.stringify({ url: req.url, method: req.method, headers: req.headers, body: JSON.parse(body) }))
      case '/text': return reply(200, 'text/plain; charset=utf-8', '{"a":1}')
      case '/json-charset': return reply(200, 'application/json; charset=utf-8', '{"a":1}')
      case '/bad-json': return reply(200, 'application/json', '{"a":')
      case '/redirect': return reply(302, 'text/plain', 'moved')
      case '/unprocessable': return reply(422, 'text/plain', 'nope')
      case '/teapot': return reply(418, null, 'short and stout')
      case '/log-split': {
        // One line written in two chunks, a JSON line, a JSON string line, a line with a stack, a number.
        process.stdout.write('first half of ')
        setTimeout(() => {
          process.stdout.write('a line\n{"level":"info","msg":"json line"}\n"a json string"\n{"stack":"s","msg":"has stack"}\n42\n\n')
          setTimeout(() => reply(200, 'application/json', '{}'), 50)
        }, 50)
        return
      }
      default: return reply(404, 'text/plain', 'no such path ' + req.url)
    }
  })
})
server.listen(port, '127.0.0.1', () => process.kill(parent, 'SIGUSR2'))
