import { defineBehaviour } from '../../lib/conformance/behaviour.js'
import { failureIsReported } from '../../lib/conformance/study.js'

export const behaviour = defineBehaviour({
  id: 'STUDY-TIMEOUT-001',
  title: 'an infinite loop is stopped at the function timeout and reported as a failed invoke',
  level: 'MUST',
  suite: 'study',
  source: 'The 2017 study\'s malicious-behaviour experiment; go-shims.md §3 X7; lambda-behavior.md §3.1 "Timeout"',
})

failureIsReported(behaviour, { probe: 'spin' }, 1, { notBeforeTimeout: true })
