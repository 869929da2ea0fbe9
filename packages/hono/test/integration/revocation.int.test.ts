import { twoInstanceScenarios } from '@latchkey/adapter-testkit';
import { startTestApp } from '../app.js';

twoInstanceScenarios('latchkey (hono)', startTestApp);
