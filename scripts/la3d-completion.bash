# bash completion for la3d. Subcommands and options are read from la3d's own --help at completion
# time, so this file never goes stale when options change.
_la3d() {
  local cur=${COMP_WORDS[COMP_CWORD]} cmd="" w
  for w in "${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    case $w in -*) ;; *) cmd=$w; break ;; esac
  done
  local la3d=${COMP_WORDS[0]}
  if [[ -z $cmd ]]; then
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "--help --version --config" -- "$cur"))
    else
      local subs
      subs=$("$la3d" --help 2>/dev/null | awk '/^Subcommands:/{on=1; next} on && /^  [a-z]/{print $1}')
      COMPREPLY=($(compgen -W "$subs" -- "$cur"))
    fi
    return
  fi
  if [[ $cur == -* ]]; then
    local opts
    opts=$("$la3d" "$cmd" --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
    COMPREPLY=($(compgen -W "$opts --config" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F _la3d la3d
