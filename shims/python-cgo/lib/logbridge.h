#ifndef PCGO_LOGBRIDGE_H
#define PCGO_LOGBRIDGE_H

// A Python callable wrapped by ctypes.CFUNCTYPE(None, c_void_p, c_int):
// ctypes takes the GIL itself when the callback is entered from a Go thread.
typedef void (*pcgo_log_fn)(const char *msg, int len);

void pcgo_set_log(pcgo_log_fn fn);
int pcgo_log(const char *msg, int len);

#endif
