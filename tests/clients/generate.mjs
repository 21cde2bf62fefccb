#!/usr/bin/env node
// Generates one picture over RefineWeb's SignalR hub with the npm client, prints every event, and downloads the PNG.
//   node generate.mjs --url http://127.0.0.1:5000 --token rw_... --prompt "red heart" [--seed 1] [--protocol json|msgpack] [--out heart.png]
// The token (from the gallery page, "Scripts and the API"; or REFINEWEB_TOKEN) makes the script act as that browser's
// session: its images land in that gallery and it may download them. Exit status 0 when the picture was written.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import * as signalR from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:5000' },
    token: { type: 'string', default: process.env.REFINEWEB_TOKEN ?? '' },
    prompt: { type: 'string', default: 'red heart' },
    seed: { type: 'string' },
    protocol: { type: 'string', default: 'json' },
    out: { type: 'string', default: 'refineweb.png' },
  },
});
if (!args.token) fail('no access token: pass --token or set REFINEWEB_TOKEN (create one on the gallery page)');
if (!['json', 'msgpack'].includes(args.protocol)) fail(`--protocol must be json or msgpack, not ${args.protocol}`);

const builder = new signalR.HubConnectionBuilder()
  .withUrl(`${args.url}/hubs/generation`, { accessTokenFactory: () => args.token })
  .configureLogging(signalR.LogLevel.Warning);
if (args.protocol === 'msgpack') builder.withHubProtocol(new MessagePackHubProtocol());
const connection = builder.build();

try {
  await connection.start();
  const request = { prompt: args.prompt };
  if (args.seed !== undefined) request.seed = Number(args.seed);
  const final = await new Promise((resolve, reject) => {
    let last = null;
    connection.stream('Generate', request).subscribe({
      next: event => {
        last = event;
        const where = event.stageName ? ` ${event.stageName} ${event.resolution} px step ${event.step}/${event.totalSteps}` : '';
        const previews = event.previews ? ` previews ${event.previews.length}` : '';
        console.log(`event ${event.status}${where} progress ${event.progress.toFixed(3)}${previews}`);
        for (const warning of event.warnings ?? []) if (event.status === 'queued') console.log(`warning ${warning}`);
      },
      complete: () => resolve(last),
      error: reject,
    });
  });
  if (final?.status !== 'succeeded') fail(`the generation ended ${final?.status}: ${final?.error ?? ''}`);
  const response = await fetch(new URL(final.imageUrls[0], args.url), { headers: { Authorization: `Bearer ${args.token}` } });
  if (!response.ok) fail(`GET ${final.imageUrls[0]} gave ${response.status}`);
  const png = Buffer.from(await response.arrayBuffer());
  await writeFile(args.out, png);
  // A PNG's IHDR chunk holds its width and height right after the 8-byte signature and the chunk header.
  console.log(`wrote ${args.out} (${png.readUInt32BE(16)}x${png.readUInt32BE(20)}, ${png.length} bytes)`);
} catch (error) {
  fail(error.message ?? String(error));
} finally {
  await connection.stop();
}

function fail(message) {
  console.error(`error: ${message}`);
  process.exit(1);
}
