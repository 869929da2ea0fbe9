import { describeConformance, FLAVOURS } from './conformance.js';

// a 3-master cluster of Redis 7 and of Valkey 8
describeConformance(FLAVOURS.slice(3));
