#!/usr/bin/env bash
# Builds beian and beian-datagen in release mode and installs them under a prefix, with a
# man page per command and completion scripts for bash, zsh and fish:
#
#   bash Scripts/install.sh                 # under /usr/local
#   PREFIX=/opt/beian bash Scripts/install.sh
#   bash Scripts/install.sh /tmp/beian      # the prefix as an argument
#   CONFIGURATION=debug bash Scripts/install.sh /tmp/beian   # a debug build (what CI checks)
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="${1:-${PREFIX:-/usr/local}}"
configuration="${CONFIGURATION:-release}"
bash Scripts/setup.sh

echo "install: building ($configuration)"
swift build -c "$configuration" --product beian > /dev/null
swift build -c "$configuration" --product beian-datagen > /dev/null
bin=$(swift build -c "$configuration" --show-bin-path)

# Man pages from the commands' own help (swift-argument-parser's generate-manual plugin):
# one page per command and subcommand (beian.1, beian.scan.1, …).
echo "install: generating man pages"
swift package --allow-writing-to-package-directory generate-manual --configuration "$configuration" --multi-page > /dev/null
manuals=$(find .build/plugins -type d -path "*GenerateManual*" -name outputs | head -1)
[ -n "$manuals" ] || { echo "install: the man pages were not generated" >&2; exit 1; }

install -d "$prefix/bin" "$prefix/share/man/man1" "$prefix/share/bash-completion/completions" \
    "$prefix/share/zsh/site-functions" "$prefix/share/fish/vendor_completions.d"
for tool in beian beian-datagen; do
    install -m 0755 "$bin/$tool" "$prefix/bin/$tool"
    "$bin/$tool" --generate-completion-script bash > "$prefix/share/bash-completion/completions/$tool"
    "$bin/$tool" --generate-completion-script zsh > "$prefix/share/zsh/site-functions/_$tool"
    "$bin/$tool" --generate-completion-script fish > "$prefix/share/fish/vendor_completions.d/$tool.fish"
done
find "$manuals" -name "*.1" -exec install -m 0644 {} "$prefix/share/man/man1/" \;
pages=$(find "$prefix/share/man/man1" -name "beian*.1" | wc -l)
echo "install: $prefix/bin/beian, $prefix/bin/beian-datagen, $pages man pages, bash/zsh/fish completions"
