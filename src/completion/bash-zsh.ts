// bash and zsh completion scripts. Both share one walker, written in the subset of shell both
// understand (zsh runs it under `emulate -L ksh`, so arrays count from 0 there too): it reads the
// words typed so far, finds the command path (`use context`), skips flags and their values,
// counts positional arguments, and fills __kloop_reply / __kloop_descs with what fits the word
// under the cursor, or sets __kloop_mode to file/dir for the shell's own file completion.
// Works on bash 3.2 (macOS) too: no associative arrays, no negative indexes.
import { type CompletionSpec, DYNAMIC_KINDS } from './spec.ts';
import { completionTable } from './table.ts';

const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function walker(spec: CompletionSpec): string {
  const p = spec.program;
  return `__${p}_table=${sq(completionTable(spec))}

# __${p}_add VALUE DESCRIPTION: offers VALUE when it starts with $__${p}_match
__${p}_add() {
  case $1 in
    "$__${p}_match"*) __${p}_reply+=("$1"); __${p}_descs+=("$2") ;;
  esac
}

# __${p}_flag PATH WORD: sets __${p}_spec to the flag's value kind ("-": boolean); false if unknown
__${p}_flag() {
  local t cmdpath names value desc n
  while IFS=$'\\t' read -r t cmdpath names value desc; do
    [ "$t" = F ] || continue
    [ "$cmdpath" = "*" ] || [ "$cmdpath" = "$1" ] || continue
    local IFS=,
    for n in $names; do
      if [ "$n" = "$2" ]; then __${p}_spec=$value; return 0; fi
    done
  done <<< "$__${p}_table"
  return 1
}

__${p}_flags() {
  local t cmdpath names value desc n
  while IFS=$'\\t' read -r t cmdpath names value desc; do
    [ "$t" = F ] || continue
    [ "$cmdpath" = "*" ] || [ "$cmdpath" = "$1" ] || continue
    [ "$desc" = - ] && desc=
    local IFS=,
    for n in $names; do __${p}_add "$n" "$desc"; done
  done <<< "$__${p}_table"
}

__${p}_is_sub() {
  local t cmdpath name desc
  while IFS=$'\\t' read -r t cmdpath name desc; do
    if [ "$t" = S ] && [ "$cmdpath" = "$1" ] && [ "$name" = "$2" ]; then return 0; fi
  done <<< "$__${p}_table"
  return 1
}

__${p}_subs() {
  local t cmdpath name desc
  while IFS=$'\\t' read -r t cmdpath name desc; do
    [ "$t" = S ] && [ "$cmdpath" = "$1" ] && __${p}_add "$name" "$desc"
  done <<< "$__${p}_table"
}

# __${p}_arg PATH POSITION: sets __${p}_spec to what the positional argument takes
__${p}_arg() {
  local t cmdpath index variadic value
  while IFS=$'\\t' read -r t cmdpath index variadic value; do
    [ "$t" = A ] && [ "$cmdpath" = "$1" ] || continue
    if [ "$index" = "$2" ] || { [ "$variadic" = 1 ] && [ "$2" -ge "$index" ]; }; then
      __${p}_spec=$value
      return 0
    fi
  done <<< "$__${p}_table"
  return 1
}

# __${p}_values VALUE-KIND WORD [PREFIX]: what completes a flag's or argument's value
__${p}_values() {
  local kind=\${1#*:} suffix= line v
  __${p}_match=$3$2
  case $1 in
    dyn:*)
      case $kind in *:*) suffix=\${kind#*:}; kind=\${kind%%:*} ;; esac
      # "web=" already typed: the rest is free text
      if [ -n "$suffix" ]; then case $2 in *"$suffix"*) return ;; esac; fi
      while IFS= read -r line; do
        [ -n "$line" ] || continue
        v=\${line%%$'\\t'*}
        if [ "$v" = "$line" ]; then __${p}_add "$3$v$suffix" ""; else __${p}_add "$3$v$suffix" "\${line#*$'\\t'}"; fi
      done < <("$__${p}_bin" __complete "$kind" "$2" "\${__${p}_ctx[@]}" 2>/dev/null)
      [ -n "$suffix" ] && __${p}_nospace=1
      ;;
    choices:*)
      local IFS=,
      for v in $kind; do __${p}_add "$3$v" ""; done
      ;;
    file | dir) __${p}_mode=$1 ;;
  esac
}

# __${p}_candidates WORD... : the words after the program name, the last one under the cursor
__${p}_candidates() {
  [ -n "\${ZSH_VERSION-}" ] && emulate -L ksh
  __${p}_reply=()
  __${p}_descs=()
  __${p}_mode=words
  __${p}_nospace=0
  __${p}_ctx=()
  local -a ws
  ws=("$@")
  local n=$# i w cmdpath=. pos=0 want= ddash=0 cur
  cur=\${ws[n-1]}
  for ((i = 0; i < n - 1; i++)); do
    w=\${ws[i]}
    if [ -n "$want" ]; then
      __${p}_context "$want" "$w"
      want=
      continue
    fi
    if [ $ddash = 1 ]; then pos=$((pos + 1)); continue; fi
    case $w in
      --) ddash=1 ;;
      --*=*) __${p}_context "\${w%%=*}" "\${w#*=}" ;;
      -?*) if __${p}_flag "$cmdpath" "$w" && [ "$__${p}_spec" != - ]; then want=$w; fi ;;
      *)
        if [ $pos = 0 ] && __${p}_is_sub "$cmdpath" "$w"; then
          if [ "$cmdpath" = . ]; then cmdpath=$w; else cmdpath="$cmdpath $w"; fi
        else
          pos=$((pos + 1))
        fi
        ;;
    esac
  done
  if [ -n "$want" ]; then
    __${p}_flag "$cmdpath" "$want" && __${p}_values "$__${p}_spec" "$cur"
    return 0
  fi
  if [ $ddash = 0 ]; then
    case $cur in
      --*=*)
        __${p}_flag "$cmdpath" "\${cur%%=*}" && [ "$__${p}_spec" != - ] && __${p}_values "$__${p}_spec" "\${cur#*=}" "\${cur%%=*}="
        return 0
        ;;
      -*)
        __${p}_match=$cur
        __${p}_flags "$cmdpath"
        return 0
        ;;
    esac
  fi
  __${p}_match=$cur
  [ $pos = 0 ] && __${p}_subs "$cmdpath"
  __${p}_arg "$cmdpath" "$pos" && __${p}_values "$__${p}_spec" "$cur"
  return 0
}

# flags that change where names come from are passed on to \`${p} __complete\`
__${p}_context() {
  case $1 in
    -c | --config) __${p}_ctx+=(--config "$2") ;;
    -e | --env) __${p}_ctx+=(--env "$2") ;;
    --kube-context) __${p}_ctx+=(--kube-context "$2") ;;
  esac
}`;
}

export function bashScript(spec: CompletionSpec, version: string): string {
  const p = spec.program;
  return `# ${p} completion for bash (generated by \`${p} completion bash\`, ${p} ${version}).
# Install: echo 'source <(${p} completion bash)' >> ~/.bashrc
# Dynamic values (${DYNAMIC_KINDS.join(', ')}) come from \`${p} __complete\` at TAB time.
${walker(spec)}

_${p}() {
  local -a ws
  local i w n=0 glue=0
  # bash splits "--env=dev" into "--env" "=" "dev"; glue them back
  for ((i = 1; i <= COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    if [ "$w" = = ] && [ $n -gt 0 ]; then
      ws[n-1]+==
      glue=1
      continue
    fi
    if [ $glue = 1 ]; then
      ws[n-1]+=$w
      glue=0
      continue
    fi
    ws[n]=$w
    n=$((n + 1))
  done
  __${p}_bin=\${COMP_WORDS[0]}
  __${p}_candidates "\${ws[@]}"
  local cur=\${ws[n-1]} strip=
  # readline replaces only the part after the last "=" when "=" breaks words
  case $cur in *=*) case $COMP_WORDBREAKS in *=*) strip=\${cur%"\${cur##*=}"} ;; esac ;; esac
  COMPREPLY=()
  case $__${p}_mode in
    file) while IFS= read -r w; do COMPREPLY+=("$w"); done < <(compgen -f -- "\${cur#"$strip"}") ;;
    dir) while IFS= read -r w; do COMPREPLY+=("$w"); done < <(compgen -d -- "\${cur#"$strip"}") ;;
  esac
  [ "$__${p}_mode" = words ] || compopt -o filenames 2>/dev/null
  for w in "\${__${p}_reply[@]}"; do COMPREPLY+=("\${w#"$strip"}"); done
  [ "$__${p}_nospace" = 1 ] && compopt -o nospace 2>/dev/null
  return 0
}

complete -F _${p} ${p}
`;
}

export function zshScript(spec: CompletionSpec, version: string): string {
  const p = spec.program;
  return `#compdef ${p}
# ${p} completion for zsh (generated by \`${p} completion zsh\`, ${p} ${version}).
# Install: echo 'source <(${p} completion zsh)' >> ~/.zshrc   (after compinit), or save it as
# _${p} in a directory of your $fpath.
${walker(spec)}

_${p}() {
  local -a ws vals shown
  ws=("\${(@)words[2,CURRENT]}")
  __${p}_bin=\${words[1]}
  __${p}_candidates "\${ws[@]}"
  case $__${p}_mode in
    file) _files; return ;;
    dir) _files -/; return ;;
  esac
  local i v d
  for ((i = 1; i <= \${#__${p}_reply}; i++)); do
    v=\${__${p}_reply[i]}
    d=\${__${p}_descs[i]}
    vals+=("$v")
    if [[ -n $d ]]; then shown+=("$v  -- $d"); else shown+=("$v"); fi
  done
  (( \${#vals} )) || return 1
  if [[ $__${p}_nospace = 1 ]]; then
    compadd -l -S '' -d shown -a vals
  else
    compadd -l -d shown -a vals
  fi
}

if [[ "\${funcstack[1]-}" = _${p} ]]; then
  _${p} "$@"
else
  compdef _${p} ${p}
fi
`;
}
