import { defineBehaviour } from '../../lib/conformance/behaviour.js'
import { failureIsReported } from '../../lib/conformance/study.js'

export const behaviour = defineBehaviour({
  id: 'STUDY-EXIT-001',
  title: 'os.Exit(3) in the handler is reported as a failed invoke, and the next invoke is served',
  level: 'MUST',
  suite: 'study',
  source: 'The 2017 study\'s malicious-behaviour experiment; go-shims.md §3 X5; lambda-behavior.md §3.1 "Process exits with status N"',
})

failureIsReported(behaviour, { probe: 'exit', args: { code: 3 } }, 3)
