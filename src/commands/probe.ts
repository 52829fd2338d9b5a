import { defineCommand } from './context.js';
import { withConnectionOptions, withTlsOptions } from './options.js';

export const probeCommand = defineCommand({
  command: 'probe [url]',
  describe: 'Time each connection phase and measure RTT and loss like ping',
  builder: (y) => withTlsOptions(withConnectionOptions(y)),
  run: async () => 0,
});
