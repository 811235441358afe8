import { defineConfig } from 'vitest/config'

// The AWS SDK warns on every worker that releases after January 2027 will need Node 22; the kit pins its SDK
// version in package-lock.json, so the warning is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'

const LATENCY = ['suites/latency/**/*.test.ts', 'lib/latency/gate-end-to-end.test.ts']
const shared = {
  testTimeout: 60_000,
  hookTimeout: 120_000,
  env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
}

export default defineConfig({
  test: {
    // One global setup (target and shims) for both projects: sub-projects inherit the root's provided context.
    globalSetup: ['lib/setup/global-setup.ts'],
    // Tests wait on sandbox processes far more than they compute, so run more files than there are cores.
    maxWorkers: 4,
    projects: [
      { test: { ...shared, name: 'conformance', include: ['suites/**/*.test.ts', 'lib/**/*.test.ts', 'reports/**/*.test.ts'], exclude: [...LATENCY, '**/node_modules/**'] } },
      // Latency runs after everything else, one file at a time, so other suites' sandboxes do not share the
      // two cores with the measurement (latency-methods.md §9: noise belongs to the comparison, not the run).
      { test: { ...shared, name: 'latency', include: LATENCY, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
    reporters: [
      'default',
      './reports/results-json-reporter.ts',
      './reports/junit-reporter.ts',
      './reports/html-reporter.ts',
      './reports/latency-export-reporter.ts',
      './reports/summary-line-reporter.ts',
    ],
  },
})
