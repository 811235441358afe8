// Loads a node-proxy package's index.js the way a Lambda Node.js runtime does and feeds it invokes, so the
// shim can be tested without a Lambda target. stdin: one JSON line per invoke, {"id","event"}; fd 3: one JSON
// line per answer, {"id","error","result","ms"}. Everything index.js logs stays on stdout/stderr.
'use strict'
const fs = require('fs')
const path = require('path')
const readline = require('readline')

const pkg = process.argv[2]
const handler = require(path.join(pkg, 'index.js')).main

function answer(o) {
  fs.writeSync(3, JSON.stringify(o) + '\n')
}

function makeContext(id, started) {
  let answered = false
  const done = (err, result) => {
    if (answered) return
    answered = true
    const error = err == null ? null : err instanceof Error ? { name: err.name, message: err.message, code: err.code, stack: String(err.stack).split('\n') } : { value: err }
    answer({ id, error, result: result === undefined ? null : result, ms: Date.now() - started })
  }
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionVersion: '$LATEST',
    functionName: 'harness-fn',
    memoryLimitInMB: '128',
    logGroupName: '/aws/lambda/harness-fn',
    logStreamName: '2017/05/25/[$LATEST]0123456789abcdef0123456789abcdef',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:harness-fn',
    awsRequestId: id,
    clientContext: { custom: { marker: 'dropped' } },
    getRemainingTimeInMillis: () => 30000 - (Date.now() - started),
    done,
    succeed: (r) => done(null, r),
    fail: (e) => done(e),
  }
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return
  const { id, event } = JSON.parse(line)
  const started = Date.now()
  const context = makeContext(id, started)
  handler(event, context, (err, result) => context.done(err, result))
})
