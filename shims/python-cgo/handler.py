"""The Python half of the python-cgo shim: Lambda's Python runtime calls
``handler.handle(event, context)``, which runs the Go probe in libprobe.so, a
-buildmode=c-shared library loaded into this process.

The design is eawsy's aws-lambda-go-shim (src/__init__.py, src/proxy.py,
src/runtime.c @ 9269817): the library is loaded with RTLD_NOW|RTLD_GLOBAL and
initialised at import; each invoke passes the event, the context and a few
environment variables to Go as JSON and decodes Go's JSON result; a Go error
is raised as an exception whose class is named after the Go type, so the
runtime reports that name as errorType, with this file's frames as
stackTrace. eawsy reached Go through a CPython 2 extension written in C; this
shim uses ctypes (as Sparta's cgo tier did), so no C code depends on the
Python version. See README.md.
"""

import ctypes
import json
import os

_LIBRARY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "libprobe.so")

# Variables that change while the process lives, re-injected into Go's copy of
# the environment with every call (eawsy src/__init__.py and src/proxy.py,
# commits 81ecb52 and cb82716). Only those set are sent, as eawsy did: one that
# disappears keeps its previous value on the Go side.
_ENV_KEYS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "_X_AMZN_TRACE_ID",
)

# void log(const char *msg, int len): Go's log package writes through it.
_LOG_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int)

_lib = ctypes.CDLL(_LIBRARY, mode=os.RTLD_NOW | os.RTLD_GLOBAL)
_lib.Open.argtypes = [ctypes.c_char_p, ctypes.c_int]
_lib.Open.restype = ctypes.c_void_p
_lib.Handle.argtypes = [
    ctypes.c_char_p, ctypes.c_int,  # event JSON
    ctypes.c_char_p, ctypes.c_int,  # context JSON
    ctypes.c_char_p, ctypes.c_int,  # environment JSON
    _LOG_FN,
    ctypes.POINTER(ctypes.c_int),  # result length
    ctypes.POINTER(ctypes.c_int),  # 1 if the result is an error payload
]
_lib.Handle.restype = ctypes.c_void_p
_lib.Free.argtypes = [ctypes.c_void_p]
_lib.Free.restype = None


def _env_json():
    return json.dumps({k: v for k, v in ((k, os.getenv(k)) for k in _ENV_KEYS) if v}).encode()


def _take(ptr, size):
    """Copies a buffer malloc'd by Go into Python bytes and frees it."""
    try:
        return ctypes.string_at(ptr, size)
    finally:
        _lib.Free(ptr)


def _open():
    env = _env_json()
    err = _lib.Open(env, len(env))
    if err:
        # eawsy runtime.c runtime_open: a failed open is an ImportError, so the
        # runtime fails the init phase (Runtime.ImportModuleError).
        message = ctypes.string_at(err).decode("utf-8", "replace")
        _lib.Free(err)
        raise ImportError(message)


# Runs PROBE_INIT's hooks, as eawsy's runtime.open() ran the plugin's init
# functions while Python imported the handler module.
_open()


def _slots(obj, names):
    if obj is None:
        return None
    return {n: getattr(obj, n, None) for n in names}


def _context_json(context):
    """The context with the field names of eawsy's runtime.Context
    (eawsy/aws-lambda-go-core service/lambda/runtime/context.go)."""
    cc = getattr(context, "client_context", None)
    client_context = None
    if cc is not None:
        client_context = {
            "client": _slots(getattr(cc, "client", None), (
                "installation_id", "app_title", "app_version_name",
                "app_version_code", "app_package_name")),
            "custom": getattr(cc, "custom", None),
            "env": getattr(cc, "env", None),
        }
    ctx = {
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "aws_request_id": context.aws_request_id,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "identity": _slots(getattr(context, "identity", None), (
            "cognito_identity_id", "cognito_identity_pool_id")),
        "client_context": client_context,
        # A snapshot: the Go side gets no deadline (eawsy: a callback).
        "remaining_time_in_millis": context.get_remaining_time_in_millis(),
    }
    if context.memory_limit_in_mb is not None:
        # A string, as the runtime's context holds it (Go: `json:",string"`).
        ctx["memory_limit_in_mb"] = str(context.memory_limit_in_mb)
    return json.dumps(ctx).encode()


def _go_error(error_type, message):
    """A new exception class named after the Go type, in a module named
    "runtime": what eawsy's PyErr_NewException("runtime.<GoType>") made."""
    cls = type(error_type, (Exception,), {"__module__": "runtime"})
    return cls(message)


# The last log callback, kept alive until the next invoke replaces it, because
# Go keeps calling it (eawsy kept a borrowed reference instead; see README).
_log_callback = None


def handle(event, context):
    global _log_callback

    def log(ptr, size):
        context.log(ctypes.string_at(ptr, size).decode("utf-8", "replace"))

    _log_callback = _LOG_FN(log)
    evt = json.dumps(event).encode()
    ctx = _context_json(context)
    env = _env_json()
    size = ctypes.c_int(0)
    is_error = ctypes.c_int(0)
    ptr = _lib.Handle(evt, len(evt), ctx, len(ctx), env, len(env), _log_callback,
                      ctypes.byref(size), ctypes.byref(is_error))
    raw = _take(ptr, size.value)
    if is_error.value:
        err = json.loads(raw)
        raise _go_error(err["errorType"], err["errorMessage"])
    return json.loads(raw)
