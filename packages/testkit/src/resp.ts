import { connect } from 'node:net';

/**
 * Sends one command over a fresh connection and returns the raw reply text. Just enough RESP for
 * readiness checks (PING, INFO, CLUSTER INFO), so the testkit needs no client library of its own and
 * never hides a client's behaviour from the tests that use one.
 */
export function sendCommand(port: number, args: readonly string[], timeoutMs = 1_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply from 127.0.0.1:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('connect', () => {
      let request = `*${args.length}\r\n`;
      for (const arg of args) request += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
      socket.write(request);
    });
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      const text = Buffer.concat(chunks).toString('utf8');
      if (isCompleteReply(text)) {
        clearTimeout(timer);
        socket.end();
        resolve(text);
      }
    });
  });
}

/** True once a simple, error, integer or bulk-string reply has fully arrived. */
function isCompleteReply(text: string): boolean {
  const lineEnd = text.indexOf('\r\n');
  if (lineEnd === -1) return false;
  if (text[0] !== '$') return true;
  const length = Number(text.slice(1, lineEnd));
  if (length < 0) return true;
  return Buffer.byteLength(text) >= lineEnd + 2 + length + 2;
}

/** Polls `probe` until it returns true or the deadline passes. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
}
