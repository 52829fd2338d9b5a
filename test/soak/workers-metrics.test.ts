/**
 * /metrics of `soak --workers K`: the parent serves the workers' per-message figures (messages by outcome, the
 * RTT histogram, the last message time) summed, under the series a single process serves for the same run
 * shape, shard label kept. Real processes against a real mosquitto.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { cleanup, startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { spawnCli, until } from './helpers.js';

let m: Mosquitto;
beforeAll(async () => {
  m = await startMosquitto();
});
afterAll(async () => {
  await m.stop();
  cleanup(m);
});

interface Scrape {
  lines: string[];
  value(series: string): number;
}

async function scrapeOnce(port: number): Promise<Scrape> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const lines = text.split('\n').filter((l) => l.startsWith('mqtt_doctor_'));
  return {
    lines,
    value: (series) => {
      const line = lines.find((l) => l.startsWith(`${series} `));
      return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
    },
  };
}

/** A soak of shard 1/2 of 8 clients at 20 msg/s each, scraped once messages have come back, then stopped. */
async function runAndScrape(workers: number): Promise<{ scrape: Scrape; received: number }> {
  const run = await spawnCli(
    [
      'soak',
      m.url,
      '-n',
      '8',
      '--shard',
      '1/2',
      ...(workers > 1 ? ['--workers', String(workers)] : []),
      '--rate',
      '20/s',
      '--ramp',
      '0',
      '-d',
      '120s',
      '--metrics-port',
      '0',
      '--json',
    ],
    90_000,
  );
  let port = 0;
  await until(
    () => {
      const hit = /metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(run.out.stderr);
      if (hit) port = Number(hit[1]);
      return port > 0;
    },
    30_000,
    'the metrics port',
  );
  // Workers send their figures with their live summary (every 5 s off a terminal): wait for 40 messages.
  let scrape: Scrape | undefined;
  const end = Date.now() + 45_000;
  while (Date.now() < end) {
    scrape = await scrapeOnce(port);
    if (scrape.value('mqtt_doctor_soak_rtt_seconds_count{shard="1"}') >= 40) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  run.child.kill('SIGINT');
  const done = await run.done;
  const report = JSON.parse(done.stdout) as { data: { summary: { messages: { received: number } } } };
  return { scrape: scrape!, received: report.data.summary.messages.received };
}

test('2 workers serve the merged RTT histogram and message counts, as one process does', async () => {
  const single = await runAndScrape(1);
  const merged = await runAndScrape(2);
  for (const { scrape, received } of [single, merged]) {
    const count = scrape.value('mqtt_doctor_soak_rtt_seconds_count{shard="1"}');
    expect(count).toBeGreaterThanOrEqual(40);
    // Every message of a clean run is received once, with its latency; the run went on after the scrape.
    expect(scrape.value('mqtt_doctor_soak_messages_total{outcome="received",shard="1"}')).toBe(count);
    expect(count).toBeLessThanOrEqual(received);
    expect(scrape.value('mqtt_doctor_soak_rtt_seconds_bucket{le="+Inf",shard="1"}')).toBe(count);
    const buckets = scrape.lines
      .filter((l) => l.startsWith('mqtt_doctor_soak_rtt_seconds_bucket'))
      .map((l) => Number(l.split(' ')[1]));
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
    // Loopback: a mean RTT under a second; the last message within the last minute.
    const sum = scrape.value('mqtt_doctor_soak_rtt_seconds_sum{shard="1"}');
    expect(sum / count).toBeGreaterThan(0);
    expect(sum / count).toBeLessThan(1);
    expect(Date.now() / 1000 - scrape.value('mqtt_doctor_soak_last_message_timestamp_seconds{shard="1"}')).toBeLessThan(
      60,
    );
  }
  // The same series (names and labels), every one with the shard label.
  const series = (s: { scrape: Scrape }) => new Set(s.scrape.lines.map((l) => l.replace(/ [^ ]+$/, '')));
  expect(series(merged)).toEqual(series(single));
  for (const l of merged.scrape.lines) expect(l).toContain('shard="1"');
});
