import { exampleScenario } from '../example.js';

exampleScenario('hono');
