// Reading an HTTP request body with a size limit (the webhook server and the test API server).
import type { IncomingMessage } from 'node:http';

/**
 * The request body as UTF-8 text. Past `limit` bytes the request is destroyed and the promise rejects
 * with `tooLarge()`; a stream error rejects with that error.
 */
export function readBody(req: IncomingMessage, limit: number, tooLarge: () => Error): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(tooLarge());
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
