/**
 * analyze on large captures: throughput (MB/s) of `mqtt-doctor analyze FILE --json` against
 * `tshark -r FILE -q -z conv,tcp` on the same file in the same run (issue 14: faster than tshark), and peak
 * RSS from a 10 MB capture to a large one (issue 14: flat, ≤ 150 MB). The captures are synthetic: many MQTT
 * connections interleaved (connect, QoS 1 publishes with their PUBACKs, pings, disconnect), written by
 * test/analyze/synth.ts. The large one is read twice, with --json and as text, so the two peaks show apart. Size of the large one: ANALYZE_BENCH_MB (default 200; the issue's figure is 1024); ANALYZE_BENCH_ROUNDS repeats the reads (medians); a middle
 * one of ANALYZE_BENCH_MID_MB (default 100, 0 to skip) shows whether memory grows with the input on the way.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Packet } from 'mqtt-packet';
import { Conv, frame, ipPacket, pcapFile } from '../test/analyze/synth.js';
import type { BenchResult } from './run.js';

const BIN = fileURLToPath(new URL('../bin/mqtt-doctor.js', import.meta.url));

/** Write a pcap of about `mb` MB: `concurrent` connections at a time, each with `pubs` publishes. */
export function writeCapture(file: string, mb: number): { bytes: number; connections: number } {
  const fd = openSync(file, 'w');
  writeSync(fd, pcapFile(1, []));
  let bytes = 24;
  const target = mb * 1024 * 1024;
  const concurrent = 50;
  const pubs = 300;
  let t = 1_764_000_000_000;
  let made = 0;
  const batch: Buffer[] = [];
  let batchBytes = 0;
  const flush = (): void => {
    if (batch.length === 0) return;
    writeSync(fd, Buffer.concat(batch));
    batch.length = 0;
    batchBytes = 0;
  };
  while (bytes < target) {
    // A wave of connections, their packets interleaved round-robin.
    const convs: Conv[] = [];
    for (let i = 0; i < concurrent; i++) {
      const id = made++;
      const c = new Conv(
        { ip: `10.${(id >> 16) & 255}.${(id >> 8) & 255}.${id & 255}`, port: 40000 + (id % 20000) },
        { ip: '10.255.0.1', port: 1883 },
        t + i * 0.5,
      ).handshake();
      c.mqtt('c', {
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clientId: `dev-${id}`,
        keepalive: 60,
        clean: true,
      } as Packet);
      c.mqtt('s', { cmd: 'connack', returnCode: 0, sessionPresent: false } as Packet);
      for (let k = 0; k < pubs; k++) {
        c.mqtt(
          'c',
          {
            cmd: 'publish',
            topic: `site/${id}/telemetry`,
            payload: Buffer.alloc(120, k),
            qos: 1,
            messageId: k + 1,
            retain: false,
            dup: false,
          } as Packet,
          50,
        );
        c.mqtt('s', { cmd: 'puback', messageId: k + 1 } as Packet, 1);
        c.ack('c');
      }
      c.mqtt('c', { cmd: 'pingreq' } as Packet, 100);
      c.mqtt('s', { cmd: 'pingresp' } as Packet, 1);
      c.mqtt('c', { cmd: 'disconnect' } as Packet, 10);
      c.fin('c');
      c.fin('s', 0.1);
      c.ack('c');
      convs.push(c);
    }
    const n = convs[0]!.segs.length;
    for (let k = 0; k < n; k++) {
      for (const c of convs) {
        const s = c.segs[k];
        if (!s) continue;
        const data = frame('ethernet', ipPacket(s));
        const rh = Buffer.alloc(16);
        const sec = Math.floor(s.tsMs / 1000);
        rh.writeUInt32LE(sec, 0);
        rh.writeUInt32LE(Math.round((s.tsMs - sec * 1000) * 1000), 4);
        rh.writeUInt32LE(data.length, 8);
        rh.writeUInt32LE(data.length, 12);
        batch.push(rh, data);
        batchBytes += 16 + data.length;
        bytes += 16 + data.length;
      }
      if (batchBytes > 4 * 1024 * 1024) flush();
    }
    t = convs[convs.length - 1]!.t + 10;
  }
  flush();
  closeSync(fd);
  return { bytes, connections: made };
}

/**
 * Run a command under GNU time: wall seconds, peak RSS (MB) and CPU seconds (user + system: on a loaded machine
 * the wall clock measures the neighbours, the CPU time what the command itself cost).
 */
function timed(
  cmd: string,
  args: string[],
): Promise<{ seconds: number; rssMb: number; cpuS: number; code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%e %M %U %S', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      if (out.length < 1_000_000) out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = err.trim().split('\n').pop() ?? '';
      const [s, kb, user, sys] = last.split(' ').map(Number);
      resolve({ seconds: s ?? NaN, rssMb: (kb ?? NaN) / 1024, cpuS: (user ?? NaN) + (sys ?? NaN), code, stdout: out });
    });
  });
}

type Run = Awaited<ReturnType<typeof timed>>;

/** Each figure's median over the runs (the exit code and output of the first). */
function medianRun(rs: Run[]): Run {
  const med = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    const k = Math.floor(s.length / 2);
    return s.length % 2 ? s[k]! : (s[k - 1]! + s[k]!) / 2;
  };
  return {
    seconds: med(rs.map((r) => r.seconds)),
    rssMb: med(rs.map((r) => r.rssMb)),
    cpuS: med(rs.map((r) => r.cpuS)),
    code: rs[0]!.code,
    stdout: rs[0]!.stdout,
  };
}

export default async function bench(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mqd-bench-analyze-'));
  try {
    const bigMb = Number(process.env['ANALYZE_BENCH_MB'] ?? 200);
    const midMb = Number(process.env['ANALYZE_BENCH_MID_MB'] ?? 100);
    const small = join(dir, 'small.pcap');
    const middle = join(dir, 'middle.pcap');
    const big = join(dir, 'big.pcap');
    const g0 = Date.now();
    const s = writeCapture(small, 10);
    const m = midMb > 0 && midMb < bigMb ? writeCapture(middle, midMb) : undefined;
    const b = writeCapture(big, bigMb);
    process.stderr.write(
      `bench analyze: wrote ${(s.bytes / 1048576).toFixed(0)} MB (${s.connections} connections) and ${(b.bytes / 1048576).toFixed(0)} MB (${b.connections} connections) in ${((Date.now() - g0) / 1000).toFixed(1)} s\n`,
    );
    const sizeMb = statSync(big).size / 1048576;

    const ours = (f: string, json = true) =>
      timed(process.execPath, [BIN, 'analyze', f, ...(json ? ['--json'] : []), '--port', '1883']);
    // Peak RSS moves by ±10 MB from run to run (when the full collections fall): ANALYZE_BENCH_ROUNDS rounds
    // (default 1), each reading every file, and the median of each figure.
    const rounds = Math.max(1, Number(process.env['ANALYZE_BENCH_ROUNDS'] ?? 1));
    const runs: Array<{ small: Run; mid: Run | undefined; big: Run; text: Run }> = [];
    for (let r = 0; r < rounds; r++) {
      const smallOne = await ours(small);
      const midOne = m ? await ours(middle) : undefined;
      const bigOne = await ours(big);
      // The text report on the same file: no JSON document is written.
      const textOne = await ours(big, false);
      runs.push({ small: smallOne, mid: midOne, big: bigOne, text: textOne });
    }
    const smallRun = medianRun(runs.map((x) => x.small));
    const midRun = m ? medianRun(runs.map((x) => x.mid!)) : undefined;
    const bigRun = { ...medianRun(runs.map((x) => x.big)), stdout: runs[0]!.big.stdout };
    const bigText = medianRun(runs.map((x) => x.text));
    const doc = JSON.parse(bigRun.stdout.length < 1_000_000 ? bigRun.stdout : '{}') as {
      data?: { connections?: unknown[] };
    };
    const seen = doc.data?.connections?.length;
    const hasTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
    const tshark = hasTshark ? await timed('tshark', ['-r', big, '-q', '-z', 'conv,tcp']) : undefined;

    const oursMbS = sizeMb / bigRun.seconds;
    const results: BenchResult[] = [];
    if (tshark) {
      const tsharkMbS = sizeMb / tshark.seconds;
      results.push({
        name: 'analyze throughput',
        metric: `seconds to analyze ${sizeMb.toFixed(0)} MB`,
        value: bigRun.seconds,
        baseline: tshark.seconds,
        baselineName: 'tshark -q -z conv,tcp',
        ratio: bigRun.seconds / tshark.seconds,
        targetRatio: 1,
        notes: `${oursMbS.toFixed(1)} MB/s vs tshark ${tsharkMbS.toFixed(1)} MB/s; CPU ${bigRun.cpuS.toFixed(1)} s vs tshark ${tshark.cpuS.toFixed(1)} s; ${b.connections} connections${seen !== undefined ? ` (${seen} reported)` : ''}; tshark peak RSS ${tshark.rssMb.toFixed(0)} MB`,
      });
    } else {
      process.stderr.write('bench analyze: tshark is not installed (apt-get install -y tshark): no baseline\n');
    }
    if (m && midRun)
      results.push({
        name: 'analyze memory (middle)',
        metric: `peak RSS on ${(m.bytes / 1048576).toFixed(0)} MB (MB)`,
        value: midRun.rssMb,
        baseline: smallRun.rssMb,
        baselineName: `peak RSS on ${(s.bytes / 1048576).toFixed(0)} MB`,
        ratio: midRun.rssMb / smallRun.rssMb,
        targetValue: 150,
        notes: `${m.connections} connections; exit ${midRun.code}`,
      });
    results.push({
      name: 'analyze memory',
      metric: `peak RSS on ${sizeMb.toFixed(0)} MB (MB)`,
      value: bigRun.rssMb,
      baseline: smallRun.rssMb,
      baselineName: `peak RSS on ${(s.bytes / 1048576).toFixed(0)} MB`,
      ratio: bigRun.rssMb / smallRun.rssMb,
      targetValue: 150,
      notes: `${oursMbS.toFixed(1)} MB/s; CPU ${bigRun.cpuS.toFixed(1)} s; exit ${bigRun.code}; median of ${rounds} (${runs.map((x) => x.big.rssMb.toFixed(0)).join(', ')} MB)`,
    });
    results.push({
      name: 'analyze memory (text)',
      metric: `peak RSS on ${sizeMb.toFixed(0)} MB without --json (MB)`,
      value: bigText.rssMb,
      baseline: smallRun.rssMb,
      baselineName: `peak RSS on ${(s.bytes / 1048576).toFixed(0)} MB (--json)`,
      ratio: bigText.rssMb / smallRun.rssMb,
      targetValue: 150,
      notes: `CPU ${bigText.cpuS.toFixed(1)} s; exit ${bigText.code}; median of ${rounds} (${runs.map((x) => x.text.rssMb.toFixed(0)).join(', ')} MB)${tshark ? `; tshark peak RSS ${tshark.rssMb.toFixed(0)} MB` : ''}`,
    });
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
