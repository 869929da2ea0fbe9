import { describeConformance, FLAVOURS } from './conformance.js';

// memory, Redis 7, Valkey 8
describeConformance(FLAVOURS.slice(0, 3));
