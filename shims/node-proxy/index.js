// node-proxy: a re-implementation of Sparta's Node.js proxy tier as it stood in 2017
// (mweagle/Sparta resources/index.js and resources/provision/sparta_utils.js @ 514258d4, 2017-05-25).
// Written from a reading of that design, not copied; README.md names the source of every choice and every
// departure. Plain CommonJS, as Lambda's nodejs4.3/6.10 runtimes loaded it.
//
// The Go code runs in a long-lived child process (bin/sidecar), started on the first invoke. Each event is
// POSTed to it as JSON over loopback HTTP and the HTTP answer is mapped back onto context.done().
'use strict'

var util = require('util')
var http = require('http')
var net = require('net')
var os = require('os')
var path = require('path')
var childProcess = require('child_process')

// Sparta appended /var/task to PATH at load (a workaround for a 2015 Lambda forum thread); kept for fidelity.
process.env.PATH = process.env.PATH + ':/var/task'

// Sparta >= fee68b56 (2017-09) ran the binary from ./bin in the archive; 514258d4 first copied it to /tmp.
var SIDECAR_PATH = path.join(__dirname, 'bin', 'sidecar')
// Sparta used 'localhost' and the fixed port 9999. Sandboxes here share the host's loopback, so each sidecar
// gets a free port, chosen here and passed with Sparta's own `execute --port` flag; 127.0.0.1 because the
// sidecar binds only the IPv4 loopback.
var SIDECAR_HOST = '127.0.0.1'
var MAXIMUM_RESPAWN_COUNT = 5

// Go's http.StatusText as Sparta shipped it (resources/provision/golang-constants.json @ 514258d4).
var GO_STATUS_TEXT = {
  100: 'Continue', 101: 'Switching Protocols',
  200: 'OK', 201: 'Created', 202: 'Accepted', 203: 'Non-Authoritative Information', 204: 'No Content',
  205: 'Reset Content', 206: 'Partial Content',
  300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified',
  305: 'Use Proxy', 307: 'Temporary Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 406: 'Not Acceptable', 407: 'Proxy Authentication Required', 408: 'Request Timeout',
  409: 'Conflict', 410: 'Gone', 411: 'Length Required', 412: 'Precondition Failed', 413: 'Request Entity Too Large',
  414: 'Request URI Too Long', 415: 'Unsupported Media Type', 416: 'Requested Range Not Satisfiable',
  417: 'Expectation Failed', 418: "I'm a teapot", 428: 'Precondition Required', 429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Gateway Timeout', 505: 'HTTP Version Not Supported', 511: 'Network Authentication Required'
}

// One connection per request, as Node <= 18's global agent did (keep-alive off): 2017 Node never reused a
// socket the Go server might have closed while the sandbox was frozen.
var agent = new http.Agent({ keepAlive: false })

// The running Go child (Sparta: golangProcess), the port it was told to use, and how many children have died.
var sidecar = null
var sidecarPort = 0
var failCount = 0

// Sparta's log(): every line the child writes, and Sparta's own messages, go through here (sparta_utils.js).
// Empty strings are dropped; a string is JSON.parse'd if it can be; a string that is not JSON (or a JSON
// string) becomes {"msg": <line>}; anything with a truthy .stack goes to console.error as an object, anything
// else to console.log re-stringified. A line reading `null` throws here (null has no .stack), in a stream
// 'data' listener, which ends the Node process: kept, as in Sparta.
function log (objOrString) {
  var value = objOrString
  if (typeof value === 'string') {
    if (value.length <= 0) {
      return
    }
    try {
      value = JSON.parse(value)
    } catch (e) {
      // not JSON: logged as a message
    }
  }
  if (typeof value === 'string') {
    value = { msg: value }
  }
  if (value.stack) {
    console.error(value)
  } else {
    console.log(JSON.stringify(value))
  }
}

// The 2015-12 to 2017-09 relay: each chunk the child writes, on either pipe, decoded on its own and split on
// '\n'. A line cut across two chunks is logged as two lines; stdout and stderr are read separately, so lines
// of the two streams are logged in the order Node reads the pipes, not the order they were written.
function relay (buf) {
  buf.toString('utf-8').split('\n').forEach(function (line) {
    log(line)
  })
}

// Sparta prepared the binary asynchronously before spawning it (cp to /tmp, chmod); here the asynchronous
// step is finding a free loopback port for the child.
function reservePort (callback) {
  var probe = net.createServer()
  probe.once('error', callback)
  probe.listen(0, SIDECAR_HOST, function () {
    var port = probe.address().port
    probe.close(function () {
      callback(null, port)
    })
  })
}

// Sparta's Node context on the wire: the fields of Sparta's Go LambdaContext, memoryLimitInMB as a string
// (Node's), no deadline and no trace id. invokeid was Node 4.3/6.10's alias of the request id.
function wireContext (context) {
  return {
    awsRequestId: context.awsRequestId,
    invokeid: context.invokeid !== undefined ? context.invokeid : context.awsRequestId,
    logGroupName: context.logGroupName,
    logStreamName: context.logStreamName,
    functionName: context.functionName,
    memoryLimitInMB: context.memoryLimitInMB === undefined ? undefined : String(context.memoryLimitInMB),
    functionVersion: context.functionVersion,
    invokedFunctionArn: context.invokedFunctionArn
  }
}

function makeRequest (probePath, event, context) {
  // Answer as soon as done() is called, whatever the child or its pipes still hold.
  context.callbackWaitsForEmptyEventLoop = false

  // API Gateway convenience: a string event.body holding JSON is replaced by its parsed value, in place.
  if (event && event.body) {
    try {
      event.body = JSON.parse(event.body)
    } catch (e) {
      // left as it was
    }
  }
  var payload = JSON.stringify({ event: event, context: wireContext(context) })

  var finish = function (err, result) {
    try {
      context.done(err, result)
    } catch (e) {
      context.done(e, null)
    }
  }

  var req = http.request({
    host: SIDECAR_HOST,
    port: sidecarPort,
    path: probePath,
    method: 'POST',
    agent: agent,
    headers: {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(payload, 'utf-8')
    }
  }, function (res) {
    res.setEncoding('utf8')
    var body = ''
    res.on('data', function (chunk) {
      body += chunk
    })
    res.on('end', function () {
      if (res.statusCode >= 400) {
        // Go's status text rides along so API Gateway integration responses can match it by regexp.
        var failure = {
          code: res.statusCode,
          status: GO_STATUS_TEXT[res.statusCode],
          headers: res.headers,
          error: new Error(body).toString()
        }
        finish(new Error(JSON.stringify(failure)), null)
        return
      }
      // 1xx-3xx are successes. Only exactly "application/json" is parsed; anything else is returned as a
      // string, which the runtime then serialises as a JSON string.
      var result = body
      if (res.headers['content-type'] === 'application/json') {
        try {
          result = JSON.parse(body)
        } catch (e) {
          // returned as the raw string
        }
      }
      finish(null, result)
    })
  })
  // Connection refused, reset or closed without an answer ("socket hang up"): the Node error itself.
  req.once('error', function (e) {
    finish(e, null)
  })
  req.write(payload)
  req.end()
}

function createForwarder (probePath) {
  var forwardToSidecar = function (event, context, callback) {
    if (!sidecar) {
      reservePort(function (err, port) {
        if (err) {
          console.error(err)
          process.exit(1)
        }
        sidecarPort = port

        // The event is held until the child signals readiness. A child that dies first leaves this listener
        // registered, so the next child's signal releases the held event. Registered before the spawn: Sparta
        // registered it just after, and a child that signalled inside that window met Node's default SIGUSR2
        // action and killed Node ("Runtime exited with error: signal: sigusr2", seen here under load).
        var readyHandler = function () {
          log('SIGUSR2 signal received')
          process.removeListener('SIGUSR2', readyHandler)
          forwardToSidecar(event, context, callback)
        }
        process.on('SIGUSR2', readyHandler)

        log(util.format('Launching %s with args: execute --port %d --signal %d', SIDECAR_PATH, port, process.pid))
        sidecar = childProcess.spawn(SIDECAR_PATH, ['execute', '--port', String(port), '--signal', String(process.pid)], {})
        sidecar.stdout.on('data', relay)
        sidecar.stderr.on('data', relay)

        // A child that errors or exits is replaced at once, with no event to forward (the in-flight request,
        // if any, fails on its own through its socket). More than MAXIMUM_RESPAWN_COUNT deaths over the life
        // of this Node process end it. Sparta first posted a ProcessTerminated metric to CloudWatch and did
        // this in the metric call's callback; the metric is left out, the callback runs on the next turn.
        var terminationHandler = function (eventName) {
          return function (value) {
            setImmediate(function () {
              console.error(util.format('Sparta %s: %s\n', eventName.toUpperCase(), JSON.stringify(value)))
              failCount += 1
              if (failCount > MAXIMUM_RESPAWN_COUNT) {
                process.exit(1)
              }
              sidecar = null
              forwardToSidecar(null, null, callback)
            })
          }
        }
        sidecar.on('error', terminationHandler('error'))
        sidecar.on('exit', terminationHandler('exit'))
        // Added again on every spawn and never removed (Sparta's listener leak).
        process.on('exit', function () {
          log('Go process exited')
          if (sidecar) {
            sidecar.kill()
          }
        })
        log('Waiting for SIGUSR2 signal')
      })
    } else if (event && context) {
      makeRequest(probePath, event, context)
    }
  }
  return forwardToSidecar
}

// Logged once per Node process, at load (Sparta also logged the aws-sdk version; no SDK is bundled here).
log({
  node_js: process.version,
  os: {
    platform: os.platform(),
    release: os.release(),
    type: os.type(),
    uptime: os.uptime(),
    cpus: os.cpus(),
    totalmem: os.totalmem()
  }
})

// Sparta exported one forwarder per Go function, each POSTing to /<function name>; here the function is the
// probe named by PROBE, as with every shim of the kit.
exports.main = createForwarder('/' + process.env.PROBE)
