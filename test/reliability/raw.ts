// Raw HTTP/1.1 over a TCP socket, for requests no well-behaved client would send.
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: string;
  body: string;
}

/** Sends `request` bytes, resolves with the parsed answer once the server closes or `timeoutMs` passes. */
export function rawRequest(port: number, request: string | Buffer, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms; got ${JSON.stringify(Buffer.concat(chunks).toString())}`));
    }, timeoutMs);
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      const parsed = parse(Buffer.concat(chunks));
      if (parsed) {
        clearTimeout(timer);
        socket.destroy();
        resolve(parsed);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const parsed = parse(Buffer.concat(chunks));
      if (parsed) resolve(parsed);
      else reject(new Error(`connection closed without a complete answer: ${JSON.stringify(Buffer.concat(chunks).toString())}`));
    });
    socket.write(request);
  });
}

/** A complete response (Content-Length framed), or undefined while more is expected. */
function parse(data: Buffer): RawResponse | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const head = data.subarray(0, end).toString('latin1');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
  const length = Number(/^content-length:\s*(\d+)/im.exec(head)?.[1] ?? 0);
  const body = data.subarray(end + 4);
  if (body.length < length) return undefined;
  return { status, headers: head, body: body.subarray(0, length).toString('utf8') };
}
