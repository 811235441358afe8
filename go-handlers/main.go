// Command go-handlers is the probe function the conformance kit deploys as a
// Lambda "bootstrap". All behaviour lives in package probes so that other
// shims (c-shared library, RPC build) can reuse it; see README.md.
package main

import "github.com/go-lambda-conformance/go-handlers/probes"

func main() {
	probes.Main()
}
