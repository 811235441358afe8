import { defineBehaviour } from '../../lib/conformance/behaviour.js'
import { failureIsReported } from '../../lib/conformance/study.js'

export const behaviour = defineBehaviour({
  id: 'STUDY-OOM-001',
  title: 'a memory bomb is stopped and reported as a failed invoke',
  level: 'MUST',
  suite: 'study',
  source: 'The 2017 study\'s malicious-behaviour experiment; go-shims.md §3 X20; lambda-behavior.md §3.1 "Out of memory"',
})

failureIsReported(behaviour, { probe: 'alloc', args: { stepMb: 8 } }, 5)
