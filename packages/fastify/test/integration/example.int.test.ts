import { exampleScenario } from '@latchkey/adapter-testkit';

exampleScenario('fastify');
