// The C side of the log callback (eawsy src/runtime.c runtime_log): Go's log
// package writes through the function pointer Python hands over with each
// Handle call. Kept out of the cgo preamble because a file with //export may
// only declare there, not define (cmd/cgo, "C references to Go").
#include <stddef.h>
#include "logbridge.h"

static pcgo_log_fn current_log;

void pcgo_set_log(pcgo_log_fn fn) { current_log = fn; }

int pcgo_log(const char *msg, int len) {
	pcgo_log_fn fn = current_log;
	if (fn == NULL) {
		// eawsy 5986ca2: before the first invoke there is no callback and
		// the line is dropped ("log statements are not visible during
		// initialization", README "Edge Behaviors").
		return 0;
	}
	fn(msg, len);
	return 1;
}
