import { exampleScenario } from '@latchkey/adapter-testkit';

exampleScenario('hono');
