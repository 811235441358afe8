import { defineConfig } from 'vitest/config'

// The AWS SDK warns on every worker that releases after January 2027 will need Node 22; the kit pins its SDK
// version in package-lock.json, so the warning is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'

export default defineConfig({
  test: {
    include: ['suites/**/*.test.ts', 'lib/**/*.test.ts', 'reports/**/*.test.ts'],
    globalSetup: ['lib/setup/global-setup.ts'],
    // Tests wait on sandbox processes far more than they compute, so run more files than there are cores.
    maxWorkers: 4,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    reporters: [
      'default',
      './reports/results-json-reporter.ts',
      './reports/junit-reporter.ts',
      './reports/html-reporter.ts',
      './reports/summary-line-reporter.ts',
    ],
  },
})
