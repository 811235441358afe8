import { defineBehaviour } from '../../lib/conformance/behaviour.js'
import { failureIsReported } from '../../lib/conformance/study.js'

export const behaviour = defineBehaviour({
  id: 'STUDY-PANIC-001',
  title: 'a Go panic in the handler is reported as a failed invoke, and the next invoke is served',
  level: 'MUST',
  suite: 'study',
  source: 'The 2017 study\'s malicious-behaviour experiment; go-shims.md §3 X3; lambda-behavior.md §3.2 "Panic flow"',
})

failureIsReported(behaviour, { probe: 'panic', args: { value: 'string' } }, 3)
