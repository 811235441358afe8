"""handler.py and libprobe.so together, without a Lambda runtime: each case runs a fresh Python process that
imports the handler (as the runtime does) and calls handle() with a stand-in context.

    python3 -m unittest discover -s shims/python-cgo/tests -v

Needs go and gcc (the library is built once into a temporary directory).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

SHIM = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A stand-in for the runtime's LambdaContext: the attributes handler.py reads, and log() like awslambdaric's
# (which writes to stdout when no telemetry log sink is configured).
DRIVER = textwrap.dedent(
    """
    import json, sys

    class Client:
        installation_id = "inst"; app_title = "t"; app_version_name = None; app_version_code = "7"; app_package_name = "p"

    class ClientContext:
        client = Client(); custom = {"marker": "m"}; env = {"locale": "en"}

    class Context:
        function_name = "fn"; function_version = "$LATEST"; aws_request_id = "req-1"
        invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:fn"
        log_group_name = "/aws/lambda/fn"; log_stream_name = "stream"; memory_limit_in_mb = "256"
        identity = None; client_context = ClientContext()
        def get_remaining_time_in_millis(self): return 2999
        def log(self, msg): sys.stdout.write("ctx.log: " + msg); sys.stdout.flush()

    import handler
    for event in json.loads(sys.argv[1]):
        try:
            print("result:", json.dumps(handler.handle(event, Context())), flush=True)
        except Exception as e:
            print("raised:", type(e).__module__, type(e).__name__, str(e), flush=True)
    """
)


class HandlerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not shutil.which("go"):
            raise unittest.SkipTest("go is not installed")
        cls.pkg = tempfile.mkdtemp(prefix="python-cgo-test-")
        env = dict(os.environ, CGO_ENABLED="1")
        subprocess.run(
            ["go", "build", "-trimpath", "-buildmode=c-shared", "-o", os.path.join(cls.pkg, "libprobe.so"), "."],
            cwd=os.path.join(SHIM, "lib"), env=env, check=True,
        )
        shutil.copy(os.path.join(SHIM, "handler.py"), cls.pkg)
        with open(os.path.join(cls.pkg, "driver.py"), "w") as f:
            f.write(DRIVER)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.pkg, ignore_errors=True)

    def run_driver(self, events, **env):
        e = {k: v for k, v in os.environ.items() if not k.startswith(("PROBE", "AWS_", "_X_AMZN"))}
        e.update(env)
        return subprocess.run(
            [sys.executable, "driver.py", json.dumps(events)], cwd=self.pkg, env=e,
            capture_output=True, text=True, timeout=60,
        )

    def test_result_is_decoded_json(self):
        p = self.run_driver([{"probe": "echo", "args": {"a": [1, 2], "s": "é"}}, {"probe": "echo"}], PROBE="dispatch")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.splitlines(), ['result: {"a": [1, 2], "s": "\\u00e9"}', "result: {}"])

    def test_go_error_is_raised_as_class_named_after_go_type(self):
        events = [{"probe": "error", "args": {"kind": k}} for k in ("new", "custom", "pointer", "wrapped")]
        p = self.run_driver(events, PROBE="dispatch")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.splitlines(), [
            "raised: runtime errorString probe: plain error",
            "raised: runtime ProbeError probe: custom error 7",
            "raised: runtime ProbePointerError probe: pointer error",
            "raised: runtime wrapError probe: wrapped: probe: inner",
        ])

    def test_context_reaches_lambdacontext_and_trace_id_only_the_environment(self):
        p = self.run_driver([{"probe": "context"}], PROBE="dispatch", _X_AMZN_TRACE_ID="Root=1-abc")
        self.assertEqual(p.returncode, 0, p.stderr)
        r = json.loads(p.stdout.split("result: ", 1)[1])
        self.assertEqual(r["lambdaContext"]["awsRequestId"], "req-1")
        self.assertEqual(r["lambdaContext"]["clientContext"]["custom"], {"marker": "m"})
        self.assertEqual(r["traceIdFromContext"], "")
        self.assertEqual(r["env"]["_X_AMZN_TRACE_ID"], "Root=1-abc")

    def test_log_package_goes_through_context_log_with_eawsy_flags(self):
        p = self.run_driver([{"probe": "log", "args": {"marker": "x"}}], PROBE="dispatch")
        self.assertEqual(p.returncode, 0, p.stderr)
        out = p.stdout.splitlines()
        self.assertIn("probe-log 1 stdout x", out)
        self.assertIn("probe-log 2 stderr x", p.stderr.splitlines())
        logged = [l for l in out if l.startswith("ctx.log: ")]
        self.assertEqual(len(logged), 1, out)
        self.assertRegex(logged[0], r"^ctx\.log: \d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}\.\d{6} probe-log 5 log\.Print x$")

    def test_init_hooks_run_at_import_and_bad_probe_is_import_error(self):
        p = self.run_driver([{}], PROBE="echo", PROBE_INIT="log")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.splitlines(), ["probe-init stdout", "result: {}"])
        p = self.run_driver([{}], PROBE="nope")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('ImportError: probe: unknown PROBE "nope"', p.stderr)

    def test_panic_aborts_the_python_process(self):
        # Not recovered (eawsy never did); a Go runtime in a c-shared library aborts rather than exit 2.
        p = self.run_driver([{"probe": "panic", "args": {"value": "string"}}], PROBE="dispatch")
        self.assertEqual(p.returncode, -6, p.stderr[-500:])
        self.assertIn("panic: probe: panic string", p.stderr)
        self.assertEqual(p.stdout, "")

    def test_os_exit_ends_the_python_process(self):
        p = self.run_driver([{"probe": "exit", "args": {"code": 3}}], PROBE="dispatch")
        self.assertEqual(p.returncode, 3)
        self.assertIn("probe: exiting with status 3", p.stderr)


if __name__ == "__main__":
    unittest.main()
