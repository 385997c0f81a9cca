import { Argument, type Command, type Option } from 'commander';
import { group } from './command.js';

/**
 * `ims completion bash|zsh`: a completion script generated from the commander tree, so every command and option
 * is offered as it is defined. One function gives the words after a command path; both shells walk the line
 * to that path (the words that name subcommands) and offer the choices of an option just typed.
 */

/** Command path (`""`, `image`, `image create`) -> the words that may follow it. */
function wordsByPath(cmd: Command, path = '', out = new Map<string, string[]>()): Map<string, string[]> {
  const names = cmd.commands.map((c) => c.name());
  const flags = cmd.options.flatMap((o) => [o.long, o.short]).filter((f): f is string => f !== undefined);
  out.set(path, [...names, ...flags, '--help']);
  for (const sub of cmd.commands) wordsByPath(sub, path ? `${path} ${sub.name()}` : sub.name(), out);
  return out;
}

/** Option flag -> the values it accepts, for options with choices. */
function choices(cmd: Command, out = new Map<string, Set<string>>()): Map<string, Set<string>> {
  for (const o of cmd.options as Option[]) {
    for (const flag of o.argChoices ? [o.long, o.short] : []) {
      if (flag === undefined) continue;
      const set = out.get(flag) ?? new Set();
      for (const c of o.argChoices!) set.add(c);
      out.set(flag, set);
    }
  }
  for (const sub of cmd.commands) choices(sub, out);
  return out;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The shell function both scripts share: `_ims_words PATH` and `_ims_choices FLAG`. */
function lookups(program: Command): string {
  const words = [...wordsByPath(program)].map(([path, w]) => `    ${quote(path)}) echo ${quote(w.join(' '))} ;;`);
  const values = [...choices(program)].map(([flag, c]) => `    ${quote(flag)}) echo ${quote([...c].join(' '))} ;;`);
  return [
    '_ims_words() {', '  case "$1" in', ...words, '  esac', '}',
    '_ims_choices() {', '  case "$1" in', ...values, '  esac', '}',
  ].join('\n');
}

/** Walks words 1..n-1 of the line (bash: COMP_WORDS, zsh: words) to the command path they name. */
const walk = (first: number, array: string) => `  local cmdpath="" w i
  for ((i=${first}; i<last; i++)); do
    w="\${${array}[i]}"
    case "$w" in -*) continue ;; esac
    case " $(_ims_words "$cmdpath") " in *" $w "*) cmdpath="\${cmdpath:+$cmdpath }$w" ;; esac
  done`;

export function completionScript(program: Command, shell: 'bash' | 'zsh'): string {
  const name = program.name();
  if (shell === 'bash') {
    return `# bash completion for ${name}: source <(${name} completion bash)
${lookups(program)}
_ims() {
  local last=$COMP_CWORD cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local values; values=$(_ims_choices "$prev")
  if [[ -n "$values" ]]; then COMPREPLY=( $(compgen -W "$values" -- "$cur") ); return; fi
${walk(1, 'COMP_WORDS')}
  COMPREPLY=( $(compgen -W "$(_ims_words "$cmdpath")" -- "$cur") )
}
complete -o default -F _ims ${name}
`;
  }
  return `#compdef ${name}
# zsh completion for ${name}: source <(${name} completion zsh), after compinit
${lookups(program)}
_ims() {
  local last=$CURRENT
  local values; values=$(_ims_choices "\${words[CURRENT-1]}")
  if [[ -n "$values" ]]; then compadd -- \${=values}; return; fi
${walk(2, 'words')}
  compadd -- \${=$(_ims_words "$cmdpath")}
}
compdef _ims ${name}
`;
}

export function addCompletionCommand(program: Command): void {
  group(program, 'completion', 'print a shell completion script: source <(ims completion bash)')
    .addArgument(new Argument('<shell>').choices(['bash', 'zsh']))
    .action((shell: 'bash' | 'zsh') => {
      process.stdout.write(completionScript(program, shell));
    });
}
