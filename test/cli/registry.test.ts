/**
 * The registry loads only the command a command line names; its table of names must match what each module
 * registers, or that command would be unreachable by name (and only found through the load-everything path).
 */
import { expect, test } from 'vitest';
import { COMMAND_MODULES, loadCommands } from '../../src/commands/registry.js';

const registeredName = (command: string | string[]): string =>
  (Array.isArray(command) ? command[0] : command)?.split(' ')[0] ?? '';

test('each table row names the command its module registers, in help order', async () => {
  const all = await loadCommands([]);
  expect(all.map((c) => registeredName(c.command))).toEqual(COMMAND_MODULES.map((m) => m.name));
});

test.each(COMMAND_MODULES.map((m) => m.name))('a command line naming %s loads that command alone', async (name) => {
  const loaded = await loadCommands([name, '--json']);
  expect(loaded.map((c) => registeredName(c.command))).toEqual([name]);
});

test('no command named first (global option, typo, help): every command is loaded', async () => {
  for (const argv of [['--json', 'probe'], ['prboe'], ['--help'], []]) {
    expect(await loadCommands(argv)).toHaveLength(COMMAND_MODULES.length);
  }
});
