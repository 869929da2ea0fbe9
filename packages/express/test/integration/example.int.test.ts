import { exampleScenario } from '../example.js';

exampleScenario('express');
