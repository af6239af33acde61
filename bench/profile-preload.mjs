// Preloaded (`--import`) into a gateway that bench/profile.mjs measures: CPU profiling covers only
// the measured window, not start-up (module loading, compilation) or the warm-up. The first
// SIGUSR2 starts the V8 profiler, the second stops it and writes the profile to
// $GEMWARDEN_PROFILE_FILE, then prints "profile written" on standard error.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const file = process.env.GEMWARDEN_PROFILE_FILE;
const session = new Session();
session.connect();
const post = (method, params = {}) =>
  new Promise((resolve, reject) =>
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
  );
let running = false;
process.on('SIGUSR2', async () => {
  if (!running) {
    running = true;
    await post('Profiler.enable');
    // 100 µs between samples (V8's default is 1 ms at --cpu-prof-interval 1000): short requests need it.
    await post('Profiler.setSamplingInterval', { interval: 100 });
    await post('Profiler.start');
    process.stderr.write('profile started\n');
    return;
  }
  const { profile } = await post('Profiler.stop');
  writeFileSync(file, JSON.stringify(profile));
  process.stderr.write('profile written\n');
});
