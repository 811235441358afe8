package probes

import "context"

// echoProbe returns its args unchanged: the whole payload for PROBE=echo, the
// exact bytes of "args" in dispatch mode. It checks that the shim passes
// bytes through without decoding, re-encoding or trimming them.
func echoProbe(_ context.Context, args []byte) ([]byte, error) {
	return args, nil
}
