/**
 * `agentforce-session/testing`: test your own app on every lifecycle path of a session,
 * generated from the production session machine, against the emulator. Works with any test
 * runner (vitest, jest, node:test): {@link runPath} throws a {@link PathFailure} that names the
 * path. See docs/testing-your-app.md.
 *
 * @example
 * ```ts
 * import { lifecyclePaths, runPath, type AppUnderTest } from 'agentforce-session/testing';
 *
 * const app: AppUnderTest = async (connection, messages) => { ... return shown; };
 * for (const path of lifecyclePaths()) {
 *   it(path.description, () => runPath(path, app));
 * }
 * ```
 */
export { lifecyclePaths, type Expected, type LifecyclePath, type PathMessage } from './paths.js';
export {
  scenarioPath,
  reply,
  ask,
  endSession,
  expireNow,
  rateLimit,
  unavailable,
  cutConnection,
  refuseToken,
  startFails,
  goneAtEnd,
  endFails,
  type Scenario,
  type ScenarioStep,
  type ScenarioTurn,
} from './scenario.js';
export {
  runPath,
  PathFailure,
  type AppConnection,
  type AppUnderTest,
  type PathRun,
  type RunPathOptions,
  type Shown,
} from './harness.js';
export type { AgentAct, PlannedRequest, PlanRoute } from './steps.js';
