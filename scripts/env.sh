# Source this file to put the project's Node 24, helm and kubectl first on PATH.
_kloop_root=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)
export PATH="$_kloop_root/bin:$_kloop_root/.tools/bin:$_kloop_root/.tools/node/bin:$_kloop_root/node_modules/.bin:$PATH"
unset _kloop_root
