import { runScenario } from './scenario.mjs';

runScenario().then(
  (result) => postMessage(result),
  (error) => postMessage({ error: String((error && error.stack) || error) }),
);
