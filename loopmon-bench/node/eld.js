'use strict';
// Runs Node's perf_hooks.monitorEventLoopDelay on loopmon-bench's idle scenario.
//   node eld.js idle interval_ms=10 secs=5
// Prints one line `RESULT key=value ...` (times in ns), the format the harness parses.
const fs = require('fs');
const { monitorEventLoopDelay } = require('perf_hooks');

const [scenario, ...rest] = process.argv.slice(2);
const a = Object.fromEntries(rest.map((kv) => kv.split('=')));
if (scenario !== 'idle') throw new Error('unknown scenario ' + scenario);

function vcsw() {
  const s = fs.readFileSync('/proc/self/status', 'utf8');
  return +/\nvoluntary_ctxt_switches:\s+(\d+)/.exec(s)[1];
}

const interval = Number(a.interval_ms);
const h = monitorEventLoopDelay({ resolution: interval });
h.enable();
setTimeout(() => {
  h.reset();
  const cpu0 = process.cpuUsage();
  const v0 = vcsw();
  const t0 = process.hrtime.bigint();
  setTimeout(() => {
    const cpu = process.cpuUsage(cpu0);
    const v1 = vcsw();
    const wall = process.hrtime.bigint() - t0;
    h.disable();
    const out = {
      cpu_ns: (cpu.user + cpu.system) * 1000,
      ticks: h.count,
      wall_ns: wall.toString(),
      vcsw: v1 - v0,
      n: h.count,
      p50: h.percentile(50),
      p99: h.percentile(99),
      max: h.max,
    };
    console.log('RESULT ' + Object.entries(out).map(([k, v]) => `${k}=${v}`).join(' '));
  }, Number(a.secs) * 1000);
}, Math.max(2 * interval, 50));
