import { describe } from 'vitest';
import { revocationBusConformance } from '../../src/testing.js';
import { FLAVOURS } from './fixtures.js';

describe.each(FLAVOURS)('$name', ({ name, make }) => {
  revocationBusConformance(name, make);
});
