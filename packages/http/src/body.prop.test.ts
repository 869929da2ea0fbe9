import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { readBody } from './body.js';

const chunksArb = fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 12 });

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  return Uint8Array.from(chunks.flatMap((chunk) => [...chunk]));
}

test.prop([chunksArb, fc.nat({ max: 400 }), fc.boolean()])(
  'returns the whole body within the limit and PAYLOAD_TOO_LARGE beyond it, for any chunking',
  async (chunks, limitBytes, fetchStyle) => {
    const total = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
    const source = fetchStyle
      ? {
          headers: new Headers(),
          body: new ReadableStream<Uint8Array>({
            start(controller) {
              for (const chunk of chunks) controller.enqueue(chunk);
              controller.close();
            },
          }),
        }
      : Object.assign(
          (async function* () {
            yield* chunks;
          })(),
          { headers: {} },
        );
    const result = readBody(source, { limitBytes });
    if (total <= limitBytes) await expect(result).resolves.toEqual(concat(chunks));
    else await expect(result).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413, limitBytes });
  },
);
