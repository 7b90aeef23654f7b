// Docker multiplexes a container's stdout and stderr into one stream when it
// has no TTY: frames of an 8-byte header (stream type, three zero bytes, a
// big-endian payload length) and the payload. Instances never get a TTY.

/** The payloads in order, stdout and stderr interleaved as they were written. A truncated last frame keeps what arrived. */
export function demultiplexLogs(data: Buffer): Buffer {
  const payloads: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= data.length) {
    const length = data.readUInt32BE(offset + 4);
    payloads.push(data.subarray(offset + 8, Math.min(offset + 8 + length, data.length)));
    offset += 8 + length;
  }
  return Buffer.concat(payloads);
}

/** The last `count` lines of text, without a trailing newline. */
export function lastLines(text: string, count: number): string {
  if (count <= 0) return "";
  return text.replace(/\r?\n$/, "").split(/\r?\n/).slice(-count).join("\n");
}
