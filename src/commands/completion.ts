/**
 * `mqtt-doctor completion [bash|zsh]`: prints a completion script for the shell. The script asks the CLI
 * itself for candidates (`mqtt-doctor __complete WORDS…`, answered by cli.ts through `completeWords`), so
 * commands, options, choices (client libraries, brokers, versions), network profiles and URL schemes
 * always match the installed version. Written here rather than with yargs' `.completion()`, whose script
 * depends on $SHELL at generation time and cannot offer profile names after `--impair`.
 */
import { SCHEMES } from '../config/target.js';
import { MIDDLEBOXES, PROFILES } from '../kb/profiles.js';
import { defineCommand } from './context.js';

export const COMPLETE_ARG = '__complete';

/** What completion needs to know about one command. */
export interface CompletionSpec {
  name: string;
  /** Long option names (without dashes): whether it takes a value, and the values it offers ([] = free text or a file). */
  options: Map<string, { takesValue: boolean; values: readonly string[] }>;
  takesUrl: boolean;
}

/** Options whose value is a network profile or middlebox name. */
const PROFILE_OPTIONS = new Set(['impair', 'profile']);

/** Candidates for the last word of `words` (the words after the program name; the last may be ''). */
export function completeWords(
  words: readonly string[],
  commands: readonly CompletionSpec[],
  globals: readonly string[],
): string[] {
  const current = words[words.length - 1] ?? '';
  const before = words.slice(0, -1);
  const cmd = commands.find((c) => c.name === before.find((w) => !w.startsWith('-')));
  const pick = (list: readonly string[]) => list.filter((c) => c.startsWith(current));
  if (!cmd) return current.startsWith('-') ? pick(globals.map((g) => `--${g}`)) : pick(commands.map((c) => c.name));
  const last = before[before.length - 1] ?? '';
  const prevName = last.replace(/^--?/, '');
  const prev = last.startsWith('-') ? cmd.options.get(prevName) : undefined;
  if (prev?.takesValue) {
    if (PROFILE_OPTIONS.has(prevName)) return pick([...PROFILES.map((p) => p.name), ...MIDDLEBOXES.map((m) => m.name)]);
    // No list: free text or a file name, which the shell completes itself.
    return pick(prev.values);
  }
  if (current.startsWith('-'))
    return pick([...cmd.options.keys(), ...globals].filter((o) => o.length > 1).map((o) => `--${o}`));
  if (cmd.takesUrl) return pick(SCHEMES.map((s) => `${s}://`));
  return [];
}

const BASH = `# mqtt-doctor completion for bash. Add to ~/.bashrc:  source <(mqtt-doctor completion bash)
_mqtt_doctor_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" IFS=$'\\n'
  COMPREPLY=( $(mqtt-doctor ${COMPLETE_ARG} "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) )
  if [[ \${#COMPREPLY[@]} -eq 0 ]]; then COMPREPLY=( $(compgen -f -- "$cur") ); fi
  [[ \${COMPREPLY[0]} == *:// ]] && compopt -o nospace 2>/dev/null
  return 0
}
complete -F _mqtt_doctor_complete mqtt-doctor
`;

const ZSH = `#compdef mqtt-doctor
# mqtt-doctor completion for zsh. Add to ~/.zshrc:  source <(mqtt-doctor completion zsh)
_mqtt_doctor_complete() {
  local -a reply
  reply=("\${(@f)$(mqtt-doctor ${COMPLETE_ARG} "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  reply=(\${reply:#})
  if (( \${#reply} )); then
    compadd -S '' -- \${(M)reply:#*://}
    compadd -- \${reply:#*://}
  else
    _files
  fi
}
if (( $+functions[compdef] )); then compdef _mqtt_doctor_complete mqtt-doctor; fi
`;

export function completionScript(shell: 'bash' | 'zsh'): string {
  return shell === 'zsh' ? ZSH : BASH;
}

export const completionCommand = defineCommand({
  command: 'completion [shell]',
  describe: 'Print a bash or zsh completion script (commands, options, profiles, clients, URL schemes)',
  builder: (y) =>
    y
      .positional('shell', { type: 'string', choices: ['bash', 'zsh'], describe: 'Shell (default: from $SHELL)' })
      .example('source <($0 completion bash)', 'Complete in this bash session (add the line to ~/.bashrc to keep it)')
      .example('source <($0 completion zsh)', 'Complete in this zsh session (add the line to ~/.zshrc to keep it)'),
  run: async (args, ctx) => {
    const shell = (args as { shell?: string }).shell ?? (/zsh/.test(ctx.env.SHELL ?? '') ? 'zsh' : 'bash');
    ctx.out.write(completionScript(shell === 'zsh' ? 'zsh' : 'bash'));
    return 0;
  },
});
