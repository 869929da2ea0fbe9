import { exampleScenario } from '../example.js';

exampleScenario('fastify');
