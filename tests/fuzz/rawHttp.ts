import { connect } from "node:net";

/** The status line's code of the first answer, or undefined when the server closed without one. */
export interface RawAnswer {
  status: number | undefined;
  text: string;
}

/**
 * Sends bytes exactly as given over a fresh TCP connection (no client library to tidy them up:
 * duplicate Content-Length, bad chunking, header lines without a colon...) and reads until the
 * server closes or `timeoutMs` passes.
 *
 * @example
 * await sendRaw(port, "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
 * // { status: 400, text: "HTTP/1.1 400 Bad Request..." }
 */
export function sendRaw(port: number, request: string | Buffer, timeoutMs = 3_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, "127.0.0.1");
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString("latin1");
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: match ? Number(match[1]) : undefined, text });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on("data", (chunk) => {
      chunks.push(chunk);
      // One answer is enough: a kept-alive connection would otherwise wait for the timeout.
      const text = Buffer.concat(chunks).toString("latin1");
      const head = text.indexOf("\r\n\r\n");
      const length = /content-length: *(\d+)/i.exec(text);
      if (head >= 0 && length && text.length >= head + 4 + Number(length[1])) finish();
    });
    socket.on("error", finish);
    socket.on("close", finish);
    socket.write(request);
  });
}
